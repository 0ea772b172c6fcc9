"""Headline and summary templates for the synthetic corpus, in English, Japanese and Korean.

Each theme's templates contain the plain terms a reader (and the real tagger) would expect,
so the demo shows the tagger at work on believable text. Slots in braces are filled from the
small word lists at the bottom; every name there is invented.
"""

from __future__ import annotations

LANGS = ("en", "ja", "ko")

THEME_HEADLINES: dict[str, dict[str, tuple[str, ...]]] = {
    "jk_cooperation": {
        "en": (
            "Japan-South Korea summit in {city} pledges closer cooperation",
            "Tokyo and Seoul agree to restart shuttle diplomacy after {n} years",
            "Japan and South Korea foreign ministers meet on bilateral ties",
        ),
        "ja": (
            "日韓首脳会談、{city_ja}で協力強化を確認",
            "日韓関係の改善へ　外相が{n}回目の協議",
            "日韓協力の拡大で一致　シャトル外交を再開",
        ),
        "ko": (
            "한일 정상회담, {city_ko}에서 협력 강화 합의",
            "한일 관계 개선 속도… 외교장관 {n}차 회담",
            "한일 협력 확대 합의, 셔틀외교 재개",
        ),
    },
    "collective_security": {
        "en": (
            "Japan-US-South Korea trilateral drill held near {city}",
            "Trilateral security cooperation expands with {n} new exercises",
            "US, Japan and South Korea share missile warning data in real time",
        ),
        "ja": (
            "日米韓が{city_ja}沖で共同訓練",
            "日米韓の安全保障協力、{n}分野で拡大",
            "日米韓、ミサイル警戒データをリアルタイム共有",
        ),
        "ko": (
            "한미일, {city_ko} 인근서 연합훈련",
            "한미일 안보협력 {n}개 분야로 확대",
            "한미일 미사일 경보정보 실시간 공유",
        ),
    },
    "us_alliance": {
        "en": (
            "US-Japan alliance talks focus on extended deterrence",
            "US Forces Korea commander visits {city} base",
            "Washington reaffirms extended deterrence for Seoul after {n} days of talks",
        ),
        "ja": (
            "日米同盟の強化へ　拡大抑止で協議",
            "在日米軍の再編計画、{city_ja}で説明会",
            "日米安保協議、{n}項目で合意",
        ),
        "ko": (
            "한미동맹 강화… 확장억제 협의",
            "주한미군 사령관, {city_ko} 기지 방문",
            "한미 확장억제 협의체 {n}차 회의",
        ),
    },
    "nk_weapons": {
        "en": (
            "North Korea fires ballistic missile into the sea off {city}",
            "North Korea tests new ICBM, flight lasted {n} minutes",
            "Pyongyang signals possible nuclear test, analysts say",
        ),
        "ja": (
            "北朝鮮が弾道ミサイル発射　{city_ja}沖に落下か",
            "北朝鮮、新型ICBMを発射　飛行時間{n}分",
            "北朝鮮が核実験の準備か　専門家が分析",
        ),
        "ko": (
            "북한, 탄도미사일 발사… {city_ko} 앞바다 낙하",
            "북한 신형 ICBM 발사, 비행시간 {n}분",
            "북한 핵실험 준비 정황… 전문가 분석",
        ),
    },
    "inter_korean": {
        "en": (
            "Inter-Korean talks resume at the DMZ after {n} months",
            "Seoul proposes inter-Korean family reunions",
            "Unification ministry reports new inter-Korean contact",
        ),
        "ja": (
            "南北対話が{n}か月ぶりに再開",
            "南北関係の改善へ　韓国が離散家族再会を提案",
            "南北軍事境界線で接触　統一省が発表",
        ),
        "ko": (
            "남북 대화 {n}개월 만에 재개",
            "남북관계 개선 제안… 이산가족 상봉 추진",
            "통일부, 남북 접촉 사실 공개",
        ),
    },
    "russia_nk": {
        "en": (
            "Russia and North Korea sign {n} agreements on military cooperation",
            "Russia-North Korea summit deepens Moscow-Pyongyang ties",
            "Russia and North Korea expand arms trade, officials say",
        ),
        "ja": (
            "ロシアと北朝鮮が軍事協力で{n}件の合意",
            "露朝首脳会談、ロシアと北朝鮮の関係深化",
            "ロシアと北朝鮮の武器取引拡大か",
        ),
        "ko": (
            "북러 군사협력 {n}건 합의",
            "북러 정상회담… 러시아와 북한 밀착",
            "러시아와 북한 무기 거래 확대 정황",
        ),
    },
    "china_pressure": {
        "en": (
            "Chinese coast guard ships enter waters near the Senkaku Islands",
            "China steps up military pressure in the East China Sea, {n} ships seen",
            "Chinese coast guard patrols raise concern in {city}",
        ),
        "ja": (
            "中国海警局の船が尖閣諸島周辺の領海に侵入",
            "東シナ海で中国の圧力強まる　{n}隻を確認",
            "中国海警局の活動に{city_ja}で懸念",
        ),
        "ko": (
            "중국 해경, 서해 구조물 인근 순찰 강화",
            "중국의 압박 거세져… 서해에 함정 {n}척",
            "중국 해경 활동에 {city_ko} 주민 우려",
        ),
    },
    "taiwan_strait": {
        "en": (
            "Tensions rise in the Taiwan Strait as {n} warships gather",
            "Taiwan Strait drills prompt talk of a Taiwan contingency",
            "Tokyo watches the Taiwan Strait after overnight exercises",
        ),
        "ja": (
            "台湾海峡で緊張高まる　艦艇{n}隻が集結",
            "台湾有事に備え　台湾海峡の演習を警戒",
            "台湾海峡での演習、政府が注視",
        ),
        "ko": (
            "대만해협 긴장 고조… 군함 {n}척 집결",
            "대만 유사시 대비 논의, 대만해협 훈련 여파",
            "대만해협 훈련에 정부 예의주시",
        ),
    },
    "missile_defense": {
        "en": (
            "Missile defense upgrade adds {n} Aegis interceptors",
            "THAAD battery in {city} completes missile defense drill",
            "New interceptor passes missile defense test",
        ),
        "ja": (
            "ミサイル防衛強化　イージス艦に迎撃ミサイル{n}基",
            "{city_ja}でミサイル防衛訓練　迎撃ミサイルを展開",
            "新型迎撃ミサイルの試験に成功",
        ),
        "ko": (
            "미사일 방어 강화… 요격미사일 {n}기 추가",
            "{city_ko} 사드 기지서 미사일 방어 훈련",
            "신형 요격미사일 시험 성공",
        ),
    },
    "defense_buildup": {
        "en": (
            "Cabinet approves record defense budget, up {n} percent",
            "Counterstrike capability plan moves ahead with defense spending rise",
            "Defense spending debate heats up in {city}",
        ),
        "ja": (
            "防衛費が過去最大に　前年比{n}％増",
            "反撃能力の整備へ　防衛力強化を加速",
            "防衛費増額をめぐり{city_ja}で議論",
        ),
        "ko": (
            "국방예산 역대 최대… 전년 대비 {n}% 증가",
            "국방비 증액으로 전력 증강 가속",
            "국방예산 증액 놓고 {city_ko}서 논쟁",
        ),
    },
    "security_autonomy": {
        "en": (
            "Nuclear armament debate returns as {n} lawmakers sign letter",
            "Seoul weighs wartime operational control transfer",
            "Calls for strategic autonomy grow in defense circles",
        ),
        "ja": (
            "核武装論が再燃　議員{n}人が書簡",
            "自主防衛の議論広がる",
            "韓国で自前の核武装論が浮上",
        ),
        "ko": (
            "자체 핵무장 논의 재점화… 의원 {n}명 서한",
            "전시작전통제권 전환 논의 본격화",
            "전작권 전환 시기 놓고 논쟁",
        ),
    },
    "history_disputes": {
        "en": (
            "Court ruling on wartime forced labor strains ties",
            "Comfort women memorial in {city} draws protest",
            "Dispute over Dokdo flares again after textbook review of {n} books",
        ),
        "ja": (
            "徴用工問題で判決　関係に影響も",
            "慰安婦像めぐり{city_ja}で抗議",
            "竹島の領有権めぐり教科書{n}冊を検定",
        ),
        "ko": (
            "강제징용 판결… 양국 관계 파장",
            "위안부 소녀상 두고 {city_ko}서 항의",
            "독도 영유권 주장 교과서 {n}종 검정 통과",
        ),
    },
    "ukraine_war": {
        "en": (
            "Ukraine war: front line shifts after {n} days of fighting",
            "Aid for Ukraine discussed as Russian invasion drags on",
            "Ukraine war reshapes security debate in {city}",
        ),
        "ja": (
            "ウクライナ侵攻{n}日　前線で攻防続く",
            "ウクライナ支援を協議　ロシアの侵攻長期化",
            "ウクライナ情勢が安保議論に影響",
        ),
        "ko": (
            "우크라이나 전쟁 {n}일째… 전선 공방",
            "우크라이나 지원 논의, 러시아 침공 장기화",
            "우크라이나 전쟁이 안보 논쟁에 영향",
        ),
    },
    "defense_industry": {
        "en": (
            "Defense exports hit record as {n} K2 tanks are ordered",
            "Arms exports deal signed for joint fighter development",
            "Defense industry firms in {city} expand production lines",
        ),
        "ja": (
            "防衛装備移転の規制緩和　輸出{n}件を承認",
            "防衛産業の基盤強化へ　次期戦闘機を共同開発",
            "{city_ja}の防衛産業が生産拡大",
        ),
        "ko": (
            "방산 수출 역대 최대… K2 전차 {n}대 수주",
            "방위산업 수출 계약, 전투기 공동개발",
            "{city_ko} 방산 업체 생산라인 확대",
        ),
    },
}

THEME_SUMMARIES: dict[str, str] = {
    "en": "Officials in {city} described the step as significant; {n} further meetings are planned.",
    "ja": "{city_ja}の関係者は重要な一歩だと説明し、今後{n}回の会合を予定している。",
    "ko": "{city_ko}의 관계자는 중요한 조치라고 설명했으며 앞으로 {n}차례 회의가 예정돼 있다.",
}

# Items that general feeds carry and that must not count as security news.
IRRELEVANT_HEADLINES: dict[str, dict[str, tuple[str, ...]]] = {
    "markets": {
        "en": ("Stocks close higher in {city} as tech shares gain {n} percent",),
        "ja": ("株価続伸、ハイテク株が{n}％上昇",),
        "ko": ("코스피 상승 마감… 기술주 {n}% 올라",),
    },
    "sport": {
        "en": ("{city} FC wins derby {n}-1 in front of a record crowd",),
        "ja": ("{city_ja}FCが{n}対1で快勝　観客数は過去最多",),
        "ko": ("{city_ko} FC, 더비서 {n}대1 승리",),
    },
    "kpop": {
        "en": ("K-pop group announces {n}-city world tour",),
        "ja": ("K-POPグループが{n}都市ワールドツアーを発表",),
        "ko": ("아이돌 그룹, {n}개 도시 월드투어 발표",),
    },
    "weather": {
        "en": ("Heavy rain expected in {city}, up to {n} millimetres",),
        "ja": ("{city_ja}で大雨の恐れ　最大{n}ミリ",),
        "ko": ("{city_ko}에 폭우 예보… 최대 {n}mm",),
    },
}

IRRELEVANT_SUMMARIES: dict[str, str] = {
    "en": "Local reporters in {city} followed the story through the day.",
    "ja": "{city_ja}の記者が一日を通じて取材した。",
    "ko": "{city_ko} 현지 기자들이 하루 종일 취재했다.",
}

# Wire copies carry retouched headlines: a prefix or a suffix, as desks do.
RETOUCH: dict[str, tuple[str, ...]] = {
    "en": ("UPDATE: {}", "{} - report", "{} (wire)", "Analysis: {}"),
    "ja": ("【速報】{}", "{}＝通信", "{}（続報）", "【解説】{}"),
    "ko": ("[속보] {}", "{} (종합)", "{}…통신", "[분석] {}"),
}

# Invented places, so nothing reads as a real local report.
CITIES = ("Port Alder", "Kestrel Bay", "Mirefield", "Oakhaven", "Sunmere", "Greywater")
CITIES_JA = ("桜ヶ浜", "青湊", "霧島台", "白浪", "朝凪", "月見坂")
CITIES_KO = ("한빛항", "새솔", "은파", "누리시", "청람", "다온")

# Each invented event has its own headlines: several outlets report the same event in their
# own words (sharing its key terms, as real reports of one event do), in each language, so
# the stories clustering joins them. Every headline names the event's themes in plain terms.
EVENT_HEADLINES: dict[str, dict[str, tuple[str, ...]]] = {
    "Kestrel Bay missile week": {
        "en": (
            "North Korea fires ballistic missiles toward Kestrel Bay, missile defense on alert",
            "Missile defense on alert as North Korea fires {n} ballistic missiles toward Kestrel Bay",
            "Kestrel Bay: North Korea ballistic missile launches put missile defense on alert",
        ),
        "ja": (
            "北朝鮮が霧島台沖へ弾道ミサイル発射　ミサイル防衛を強化",
            "北朝鮮、霧島台沖へ弾道ミサイル{n}発　ミサイル防衛を強化",
            "霧島台沖に北朝鮮の弾道ミサイル　政府がミサイル防衛を強化",
        ),
        "ko": (
            "북한, 은파 앞바다로 탄도 미사일 발사… 미사일 방어 강화",
            "북한 은파 앞바다로 탄도 미사일 {n}발 발사, 미사일 방어 강화",
            "은파 앞바다 북한 탄도 미사일 발사… 군, 미사일 방어 강화",
        ),
    },
    "History court ruling": {
        "en": (
            "Seoul court ruling on wartime forced labor clouds Japan-South Korea summit",
            "Japan-South Korea summit clouded by Seoul court ruling on wartime forced labor",
            "Wartime forced labor ruling in Seoul court clouds Japan-South Korea summit, {n} plaintiffs win",
        ),
        "ja": (
            "ソウルの裁判所が徴用工判決　日韓関係に影響",
            "徴用工判決、ソウルの裁判所　日韓関係に影響も",
            "日韓関係に影響　ソウルの裁判所が徴用工判決、原告{n}人勝訴",
        ),
        "ko": (
            "서울 법원 강제징용 판결… 한일 관계 파장",
            "강제징용 판결 서울 법원, 한일 관계 파장",
            "한일 관계 파장… 서울 법원 강제징용 판결, 원고 {n}명 승소",
        ),
    },
    "Port Alder trilateral summit": {
        "en": (
            "Port Alder summit: U.S., Japan, South Korea widen collective security and U.S.-Japan alliance ties",
            "U.S., Japan, South Korea hold Port Alder summit on collective security and the U.S.-Japan alliance",
            "Collective security tops Port Alder summit of U.S., Japan, South Korea; U.S.-Japan alliance upgraded",
        ),
        "ja": (
            "桜ヶ浜で日米韓首脳会談　日米同盟とNATO・クアッド連携を強化",
            "日米韓首脳会談、桜ヶ浜で開催　日米同盟とNATO・クアッド連携の強化で一致",
            "日米同盟とNATO・クアッド連携を強化　桜ヶ浜の日米韓首脳会談",
        ),
        "ko": (
            "한빛항서 한미일 정상회담… 한미 동맹·집단 안보 강화",
            "한미일 정상회담 한빛항 개최, 한미 동맹·집단 안보 강화 합의",
            "한미 동맹·집단 안보 강화… 한빛항 한미일 정상회담",
        ),
    },
    "Strait exercise": {
        "en": (
            "China holds Taiwan Strait exercise with {n} warships near Taiwan",
            "Taiwan Strait exercise: China sends warships near Taiwan",
            "China warships encircle Taiwan in Taiwan Strait exercise",
        ),
        "ja": (
            "中国軍が台湾海峡で演習　台湾周辺に艦艇{n}隻",
            "台湾海峡で中国軍が演習　台湾周辺に艦艇",
            "中国軍、台湾周辺で台湾海峡演習",
        ),
        "ko": (
            "중국군, 대만해협서 훈련… 대만 주변 함정 {n}척",
            "대만해협 중국군 훈련, 대만 주변에 함정",
            "중국군 대만 주변 대만해협 훈련",
        ),
    },
    "Moscow–Pyongyang summit": {
        "en": (
            "Moscow-Pyongyang summit: Putin and North Korea trade ICBM help for Ukraine war aid",
            "Putin hosts North Korea at Moscow-Pyongyang summit, ICBM help for Ukraine war aid",
            "ICBM help for Ukraine war aid at Moscow-Pyongyang summit of Putin and North Korea",
        ),
        "ja": (
            "露朝首脳会談　プーチン氏と北朝鮮がウクライナ侵攻とICBM技術で協力",
            "プーチン氏と北朝鮮、露朝首脳会談でウクライナ侵攻とICBM技術の協力確認",
            "ウクライナ侵攻とICBM技術で協力　露朝首脳会談にプーチン氏と北朝鮮",
        ),
        "ko": (
            "북-러 정상회담… 푸틴·북한, 우크라이나 전쟁·ICBM 기술 협력",
            "푸틴·북한 북-러 정상회담서 우크라이나 전쟁·ICBM 기술 협력 확인",
            "우크라이나 전쟁·ICBM 기술 협력… 북-러 정상회담 푸틴·북한",
        ),
    },
    "Record defense budget": {
        "en": (
            "Tokyo's record defense budget backs defense industry with {n} percent rise",
            "Defense industry wins as Tokyo's record defense budget is approved",
            "Tokyo's record defense budget approved, defense industry orders to grow",
        ),
        "ja": (
            "防衛費が過去最大　防衛産業の受注拡大へ",
            "過去最大の防衛費、防衛産業に{n}％増の受注",
            "防衛産業の受注拡大　防衛費が過去最大に",
        ),
        "ko": (
            "국방비 역대 최대… 방위산업 수주 확대",
            "역대 최대 국방비, 방위산업 {n}% 수주 증가",
            "방위산업 수주 확대… 국방비 역대 최대",
        ),
    },
    "Autumn missile salvo": {
        "en": (
            "North Korea ballistic missile salvo: missile defense, NATO and Indo-Pacific partners on alert",
            "Missile defense, NATO and Indo-Pacific partners on alert after North Korea ballistic missile salvo",
            "NATO and Indo-Pacific partners, missile defense respond to North Korea salvo of {n} ballistic missiles",
        ),
        "ja": (
            "北朝鮮が弾道ミサイル一斉発射　ミサイル防衛とNATO・クアッドが警戒",
            "ミサイル防衛とNATO・クアッドが警戒　北朝鮮の弾道ミサイル一斉発射",
            "北朝鮮の弾道ミサイル{n}発一斉発射、ミサイル防衛とNATO・クアッドが警戒",
        ),
        "ko": (
            "북한 탄도 미사일 일제 발사… 미사일 방어·나토·쿼드 경계",
            "미사일 방어·나토·쿼드 경계… 북한 탄도 미사일 일제 발사",
            "북한 탄도 미사일 {n}발 일제 발사, 미사일 방어·나토·쿼드 경계",
        ),
    },
    "Nuclear armament debate": {
        "en": (
            "Seoul nuclear armament debate: lawmakers doubt US-South Korea alliance deterrence",
            "Lawmakers in Seoul press nuclear armament debate, doubting US-South Korea alliance deterrence",
            "Nuclear armament debate in Seoul: {n} lawmakers doubt US-South Korea alliance deterrence",
        ),
        "ja": (
            "韓国国会で核武装論　在韓米軍の抑止力に疑問",
            "核武装論が韓国国会で拡大　在韓米軍の抑止力に議員{n}人が疑問",
            "在韓米軍の抑止力に疑問　韓国国会で核武装論が拡大",
        ),
        "ko": (
            "국회 핵무장론 확산… 한미 동맹 확장억제에 의문",
            "핵무장론 국회서 확산, 의원 {n}명 한미 동맹 확장억제 의문",
            "한미 동맹 확장억제 의문 속 국회 핵무장론 확산",
        ),
    },
}

EVENT_SUMMARIES: dict[str, dict[str, str]] = {
    name: {
        "en": f"Reporters followed the {name.lower()} through the day; {{n}} officials spoke.",
        "ja": "関係者{n}人が取材に応じ、一日を通じて動きが続いた。",
        "ko": "관계자 {n}명이 취재에 응했으며 하루 종일 움직임이 이어졌다.",
    }
    for name in EVENT_HEADLINES
}
