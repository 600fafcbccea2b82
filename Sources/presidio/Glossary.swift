/// The domain's terms, explained once for `--help` (the README's glossary says the same at
/// more length), so the names in tables and alerts mean something to a new user. Lines stay
/// under 80 columns: the help is not re-wrapped then.
enum Glossary {
    static let bridges = """
        Bridges (Linee Guida Ponti 2022):
        - CdA: Classe di Attenzione, Alta > Medio-Alta > Media > Medio-Bassa >
          Bassa; "*" marks a provisional class (forms or census data missing).
        - Defect level: of the newest L1 inspection, Alto to Basso; Alto makes
          the CdA Alta and requires an immediate Level 4.
        - G, k1, k2, PS: a defect's weight (1-5), extent and intensity
          (0.2/0.5/1), and "may compromise static safety" (G4-5 with PS
          requires an immediate Level 4).
        - L0-L4: census, visual inspection (forms 1-29), CdA, preliminary (L3)
          and accurate (L4) assessment. Annex D: the special inspection of a
          post-tensioned deck.
        - TGM / AADT: annual average daily traffic, vehicles/day.
        """
    static let wasteSites = """
        Waste sites (DPR 151/2011, DM 26/7/2022):
        - Hazard grade: alto / medio / basso, derived by Presidio from the
          registry and the site's history (the declared one is shown beside it
          when they differ); it sets the inspection frequency.
        - CPI: Certificato di Prevenzione Incendi, the fire certificate.
        - Checklist outcomes: conforme / non conforme / non verificabile (a
          knowledge gap that schedules a follow-up visit).
        - DM 26/7/2022: the fire rule for waste plants; existing sites adapt by
          9 Nov 2027.
        """
    static let meters = """
        School meters: electricity and district heat in kWh, gas in Sm3, water
        in m3; every value is shown with its unit.
        """
    static let text = bridges + "\n" + wasteSites + "\n" + meters
}
