"""Small gazetteers for tests that must not depend on the shipped one (which analysts edit).

``THREE_ENTITIES``: Dokdo, North Korea (with the short form 北) and GSOMIA, for tests that pin
the exact entities of their items; ``GAZETTEER``: those and four more (Japan, South Korea, the
United States with their short forms, and a multi-word name).
"""

THREE_ENTITIES = """
[[entity]]
id = "dokdo"
type = "place"
label = "Dokdo / Takeshima"
en = ["Dokdo", "Takeshima", "Liancourt Rocks"]
ja = ["竹島", "独島"]
ko = ["독도", "獨島"]

[[entity]]
id = "north_korea"
type = "country"
en = ["North Korea", "DPRK"]
ja = ["北朝鮮", "北"]
ko = ["북한", "北"]

[[entity]]
id = "gsomia"
type = "agreement"
en = ["GSOMIA"]
ja = ["軍事情報包括保護協定"]
ko = ["지소미아", "군사정보보호협정"]
"""

GAZETTEER = (
    THREE_ENTITIES
    + """
[[entity]]
id = "japan"
type = "country"
en = ["Japan"]
ja = ["日本", "日"]
ko = ["일본", "日"]

[[entity]]
id = "south_korea"
type = "country"
en = ["South Korea"]
ja = ["韓国", "韓"]
ko = ["한국", "韓"]

[[entity]]
id = "united_states"
type = "country"
en = ["United States"]
ja = ["米国", "米"]
ko = ["미국", "美"]

[[entity]]
id = "kim_jong_un"
type = "person"
en = ["Kim Jong Un", "Kim Jong-un"]
ja = ["金正恩"]
ko = ["김정은"]
"""
)
