/// Municipalities of the Città metropolitana di Milano with approximate centre coordinates
/// (WGS84, to about a kilometre) and a population weight class, for the demo data set only.
/// Not reference data: nothing but the generator reads it.
public enum Municipalities {
    public struct Town: Sendable {
        public var name: String
        public var lat: Double
        public var lon: Double
        /// Relative size (drives how many schools, bridges and sites land there).
        public var weight: Double
    }

    static let table = """
        Milano|45.4642|9.1900|40
        Sesto San Giovanni|45.5336|9.2347|6
        Cinisello Balsamo|45.5584|9.2148|5
        Legnano|45.5953|8.9145|4
        Rho|45.5286|9.0404|4
        Cologno Monzese|45.5287|9.2770|3
        Paderno Dugnano|45.5690|9.1691|3
        Rozzano|45.3801|9.1545|3
        San Giuliano Milanese|45.3973|9.2903|3
        Pioltello|45.4974|9.3279|3
        Bollate|45.5469|9.1179|3
        Segrate|45.4903|9.2952|3
        Corsico|45.4317|9.1106|3
        Abbiategrasso|45.3981|8.9176|3
        Cernusco sul Naviglio|45.5247|9.3324|3
        San Donato Milanese|45.4102|9.2680|3
        Parabiago|45.5583|8.9477|2
        Magenta|45.4660|8.8833|2
        Bresso|45.5393|9.1883|2
        Lainate|45.5727|9.0279|2
        Garbagnate Milanese|45.5763|9.0766|2
        Buccinasco|45.4188|9.1127|2
        Trezzano sul Naviglio|45.4222|9.0672|2
        Cesano Boscone|45.4434|9.0949|2
        Cornaredo|45.5003|9.0275|2
        Peschiera Borromeo|45.4339|9.3109|2
        Settimo Milanese|45.4783|9.0541|2
        Arese|45.5530|9.0759|2
        Senago|45.5774|9.1271|2
        Novate Milanese|45.5306|9.1320|2
        Cormano|45.5442|9.1684|2
        Cusano Milanino|45.5531|9.1845|2
        Melzo|45.4994|9.4213|2
        Gorgonzola|45.5304|9.4056|2
        Vimodrone|45.5147|9.2843|2
        Trezzo sull'Adda|45.6071|9.5248|1.5
        Cassano d'Adda|45.5275|9.5151|1.5
        Melegnano|45.3579|9.3246|1.5
        Opera|45.3764|9.2114|1.5
        Pieve Emanuele|45.3517|9.2034|1.5
        Locate di Triulzi|45.3580|9.2220|1
        Binasco|45.3318|9.0972|1
        Rosate|45.3499|9.0165|0.7
        Vittuone|45.4881|8.9516|1
        Sedriano|45.4891|8.9693|1
        Bareggio|45.4788|8.9991|1.3
        Cusago|45.4486|9.0349|0.6
        Corbetta|45.4689|8.9186|1.5
        Robecco sul Naviglio|45.4366|8.8872|0.8
        Castano Primo|45.5518|8.7753|1
        Turbigo|45.5302|8.7361|0.8
        Cuggiono|45.5068|8.8175|0.9
        Inveruno|45.5137|8.8519|0.9
        Busto Garolfo|45.5478|8.8853|1.2
        Canegrate|45.5700|8.9288|1.1
        San Vittore Olona|45.5863|8.9431|0.9
        Cerro Maggiore|45.5948|8.9527|1.4
        Rescaldina|45.6174|8.9521|1.3
        Nerviano|45.5546|8.9778|1.6
        Pogliano Milanese|45.5379|8.9929|0.8
        Pregnana Milanese|45.5160|9.0092|0.7
        Vanzago|45.5258|8.9906|0.8
        Pero|45.5101|9.0872|1
        Baranzate|45.5247|9.1091|1
        Solaro|45.6131|9.0838|1.3
        Cesate|45.5955|9.0740|1.3
        Pessano con Bornago|45.5466|9.3823|0.9
        Bussero|45.5255|9.3723|0.8
        Carugate|45.5481|9.3404|1.4
        Cassina de' Pecchi|45.5190|9.3620|1.3
        Gessate|45.5492|9.4366|0.8
        Inzago|45.5386|9.4852|1.1
        Pozzo d'Adda|45.5727|9.5017|0.6
        Vaprio d'Adda|45.5764|9.5339|0.9
        Truccazzano|45.4852|9.4684|0.6
        Liscate|45.4824|9.4100|0.4
        Vignate|45.4951|9.3769|0.9
        Rodano|45.4776|9.3549|0.5
        Pantigliate|45.4353|9.3523|0.6
        Mediglia|45.3975|9.3322|1.2
        Paullo|45.4171|9.4010|1.1
        Tribiano|45.4118|9.3763|0.3
        Dresano|45.3722|9.3594|0.3
        Vizzolo Predabissi|45.3554|9.3433|0.4
        Cerro al Lambro|45.3297|9.3389|0.5
        San Zenone al Lambro|45.3277|9.3574|0.4
        Carpiano|45.3407|9.2730|0.4
        Zibido San Giacomo|45.3602|9.1112|0.7
        Basiglio|45.3589|9.1577|0.8
        Lacchiarella|45.3243|9.1371|0.9
        Noviglio|45.3558|9.0518|0.4
        Gudo Visconti|45.3735|9.0013|0.2
        Vernate|45.3163|9.0592|0.3
        Motta Visconti|45.2883|8.9934|0.8
        Besate|45.3133|8.9691|0.2
        Morimondo|45.3544|8.9556|0.15
        Ozzero|45.3666|8.9237|0.15
        Cassinetta di Lugagnano|45.4213|8.9064|0.2
        Albairate|45.4207|8.9332|0.5
        Cisliano|45.4452|8.9871|0.5
        Vermezzo con Zelo|45.3957|8.9860|0.6
        Gaggiano|45.4045|9.0339|0.9
        Assago|45.4080|9.1256|0.9
        Bernate Ticino|45.4779|8.8145|0.3
        Boffalora sopra Ticino|45.4672|8.8328|0.4
        Marcallo con Casone|45.4846|8.8709|0.6
        Mesero|45.4990|8.8541|0.4
        Ossona|45.5061|8.9008|0.4
        Santo Stefano Ticino|45.4857|8.9195|0.5
        Arluno|45.5038|8.9411|1.2
        Casorezzo|45.5214|8.8999|0.5
        Buscate|45.5453|8.8125|0.5
        Arconate|45.5418|8.8487|0.7
        Dairago|45.5686|8.8642|0.6
        Villa Cortese|45.5674|8.8868|0.6
        Magnago|45.5790|8.8007|0.9
        Vanzaghello|45.5790|8.7802|0.5
        Robecchetto con Induno|45.5305|8.7662|0.5
        Nosate|45.5498|8.7237|0.1
        San Giorgio su Legnano|45.5745|8.9104|0.7
        Grezzago|45.5924|9.4964|0.3
        Trezzano Rosa|45.5830|9.4870|0.5
        Basiano|45.5750|9.4620|0.4
        Masate|45.5680|9.4670|0.3
        Cambiago|45.5730|9.4250|0.7
        Bellinzago Lombardo|45.5410|9.4470|0.4
        Pozzuolo Martesana|45.5150|9.4590|0.8
        Settala|45.4560|9.3900|0.7
        Colturano|45.3770|9.3330|0.2
        """

    /// The towns, in a fixed order.
    public static let all: [Town] = table.split(separator: "\n").map { line in
        let f = line.split(separator: "|")
        return Town(name: String(f[0]).trimmingCharacters(in: .whitespaces), lat: Double(f[1])!, lon: Double(f[2])!, weight: Double(f[3])!)
    }
}

import Foundation
