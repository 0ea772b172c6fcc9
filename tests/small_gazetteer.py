"""A small gazetteer for tests that must not depend on the shipped one (which analysts edit):
seven entities, with Japanese and Korean short forms (北, 日, 韓, 米/美) and a multi-word name."""

GAZETTEER = """
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

[[entity]]
id = "gsomia"
type = "agreement"
en = ["GSOMIA"]
ja = ["軍事情報包括保護協定"]
ko = ["지소미아", "군사정보보호협정"]
"""
