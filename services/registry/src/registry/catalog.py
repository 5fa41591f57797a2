"""The seed's item list (随机抽查事项清单) as versioned data: sectors, subtypes, flags, legal bases
and check items.

Codes are stable English identifiers; the Chinese text follows the seed (抚顺市公安局实施细则 §2).
A published version is never edited: a change to the list is a new entry in CATALOG_VERSIONS, and
inspections record the version their checklist came from.
"""

from typing import Any

CATALOG_VERSION = "2015-fushun-v1"
FLAG_NAMES = {
    "lodging": "提供住宿服务",
    "key_unit": "消防安全重点单位",
    "crowded_place": "人员密集场所",
    "public_gathering": "公众聚集场所",
    "flammable_explosive": "易燃易爆单位",
    "abnormal_list": "列入经营异常名录",
}

_VENUE_ITEMS = [
    ("filing", "开业、变更后是否按规定到公安机关备案", "Filed with the police after opening or change"),
    (
        "legal_rep_duty",
        "法定代表人或者主要负责人履行治安、安全责任情况",
        "Legal representative's public-order and safety duties",
    ),
    (
        "facilities",
        "设施、设备是否符合治安、安全防范有关规定及标准",
        "Facilities and equipment meet security standards",
    ),
    ("security_system", "治安、安全防范制度、措施建立和落实情况", "Security rules and measures in place"),
    ("info_system", "治安管理信息系统建设和应用情况", "Public-order information system built and used"),
    ("crime", "是否存在违法犯罪情况", "Illegal or criminal activity present"),
    ("lodging_registration", "提供住宿服务项目的场所住宿验证登记情况", "Lodging guests verified and registered"),
    ("other", "其他与治安管理有关且应当进行公开检查的事项", "Other public-order matters for open inspection"),
]

SECTORS: dict[str, dict[str, Any]] = {
    "entertainment": {
        "name_zh": "娱乐场所",
        "name_en": "Entertainment venues",
        "legal_basis": ["辽宁省娱乐场所治安分级管理规定"],
        "subtypes": {"venue": "娱乐场所"},
        "flags": {"lodging": True},
        "items": _VENUE_ITEMS,
    },
    "special_trade": {
        "name_zh": "特种行业",
        "name_en": "Special trades",
        "legal_basis": ["辽宁省娱乐场所治安分级管理规定"],
        "subtypes": {"hotel": "旅馆业", "seal_engraving": "公章刻制业", "pawn": "典当业"},
        "flags": {"lodging": False},
        "items": _VENUE_ITEMS,
    },
    "security_service": {
        "name_zh": "保安服务业",
        "name_en": "Security services",
        "legal_basis": ["保安服务管理条例", "保安培训机构管理办法（公安部令第85号）"],
        "subtypes": {"company": "保安服务公司", "training": "保安培训机构", "armed_escort": "武装守护押运"},
        "flags": {},
        "items": [
            (
                "contracts_records",
                "保安服务合同和监控影像资料、报警记录留存制度落实情况",
                "Contracts, video and alarm records retained",
            ),
            (
                "tech_protection",
                "保安服务中涉及的安全技术防范产品、设备安装、变更、使用情况",
                "Technical protection products installed and used",
            ),
            (
                "management_systems",
                "保安服务管理制度、岗位责任制度、保安员管理制度和紧急情况应急预案建立落实情况",
                "Management systems and emergency plans",
            ),
            (
                "escort_firearms",
                "从事武装守护押运服务的保安服务公司公务用枪安全管理制度和保管设施建设情况",
                "Armed escort firearm custody",
            ),
            (
                "uniforms_equipment",
                "保安员及其服装、保安服务标志与装备管理情况",
                "Guards' uniforms, insignia and equipment",
            ),
            ("training_rights", "保安员在岗培训和权益保障工作落实情况", "On-the-job training and guards' rights"),
            ("complaint_correction", "被投诉举报事项纠正情况", "Complaints corrected"),
            (
                "training_firearms",
                "保安培训机构枪支使用备案情况和枪支安全管理制度与保管设施建设管理情况",
                "Training institutions' firearm filing and custody",
            ),
        ],
    },
    "blasting": {
        "name_zh": "爆破作业单位",
        "name_en": "Blasting operation units",
        "legal_basis": ["民用爆炸物品安全管理条例"],
        "subtypes": {"commercial": "营业性", "non_commercial": "非营业性"},
        "flags": {},
        "items": [
            (
                "site_vs_permit",
                "爆破作业现场单位、人员和民用爆炸物品的品种、数量、来源与许可信息是否一致，临时存放是否专人看护",
                "Site matches the permit; temporary storage guarded",
            ),
            (
                "depot_protection",
                "民用爆炸物品储存库技防、人防、物防、犬防等治安防范措施落实情况",
                "Storage depot protection measures",
            ),
            (
                "flow_information",
                "民用爆炸物品流向信息的查验、登记、备案、信息采集和报送情况",
                "Flow information checked, registered and reported",
            ),
            (
                "stock_vs_ledger",
                "实有民用爆炸物品的品种、数量、来源、登记标识与台账结存信息是否一致",
                "Stock matches the ledger",
            ),
            (
                "marks",
                "实有民用爆炸物品的警示、登记标识质量是否可靠、信息是否准确",
                "Warning and registration marks reliable",
            ),
        ],
    },
    "fire_safety": {
        "name_zh": "单位履行消防安全职责",
        "name_en": "Units with fire-safety duties",
        "legal_basis": ["中华人民共和国消防法", "消防监督检查规定"],
        "subtypes": {"unit": "机关、团体、企业、事业单位"},
        "flags": {"key_unit": True, "crowded_place": True, "public_gathering": True, "flammable_explosive": True},
        "items": [
            (
                "acceptance",
                "是否依法通过消防验收或竣工验收消防备案，公众聚集场所是否通过投入使用、营业前消防安全检查",
                "Fire acceptance or filing; pre-opening check",
            ),
            ("use_matches", "使用情况是否与消防验收或备案时确定的使用性质相符", "Use matches the accepted use"),
            ("plans", "消防安全制度、灭火和应急疏散预案是否制定", "Fire rules and evacuation plans"),
            (
                "equipment",
                "消防设施、器材和消防安全标志是否定期维修保养、完好有效",
                "Fire equipment and signs maintained",
            ),
            ("wiring_gas", "电器线路、燃气管路是否定期维护保养、检测", "Wiring and gas lines maintained"),
            (
                "exits_lanes",
                "疏散通道、安全出口、消防车通道是否畅通，防火分区、防火间距",
                "Exits, fire lanes, compartments clear",
            ),
            (
                "drills_training",
                "是否组织防火检查、消防演练和员工培训，自动消防系统操作人员是否持证上岗",
                "Checks, drills, training; certified operators",
            ),
            (
                "hazmat_dwelling",
                "生产、储存、经营易燃易爆危险品的场所是否与居住场所设置在同一建筑物内",
                "Hazardous goods not under one roof with dwellings",
            ),
            (
                "other_goods_dwelling",
                "生产、储存、经营其他物品的场所与居住场所同一建筑物内是否符合消防技术标准",
                "Other goods with dwellings per standard",
            ),
            ("other", "其他依法需要检查的内容", "Other items required by law"),
        ],
        "flag_items": {
            "crowded_place": [
                (
                    "decoration_obstacles",
                    "室内装修材料是否符合消防技术标准、外墙门窗上是否设置影响逃生和灭火救援的障碍物",
                    "Interior materials; no obstacles on external doors/windows",
                ),
            ],
            "key_unit": [
                ("fire_manager", "是否确定消防安全管理人", "Fire-safety manager appointed"),
                ("daily_patrol", "是否开展每日防火巡查并建立巡查记录", "Daily fire patrols recorded"),
                ("key_training", "是否定期组织消防安全培训和消防演练", "Regular fire training and drills"),
                ("fire_files", "是否建立消防档案、确定消防安全重点部位", "Fire files and key parts defined"),
            ],
            "key_unit+crowded_place": [
                (
                    "evacuation_staff",
                    "灭火和应急疏散预案中承担灭火和组织疏散任务的人员是否确定",
                    "Staff named in the evacuation plan",
                ),
            ],
        },
    },
    "internet_cafe": {
        "name_zh": "网吧",
        "name_en": "Internet cafés",
        "legal_basis": ["互联网上网服务营业场所管理条例（国务院令第363号）"],
        "subtypes": {"cafe": "网吧"},
        "flags": {"abnormal_list": True},
        "items": [
            ("base_data", "网吧基础资料与网吧实际情况是否相符", "Base data matches reality"),
            ("shared_login", "是否存在一机多人上网情况", "One machine used by several people"),
            (
                "real_name",
                "是否存在不登、漏登、乱登或冒用他人身份信息登记上网等违背实名制的情况",
                "Real-name registration breached",
            ),
            (
                "harmful_info",
                "网吧业主、安全员及上网人员有无制作、下载、发布、传播各类有害信息",
                "Harmful information made or spread",
            ),
        ],
    },
}


def _items(rows: list[tuple[str, str, str]], prefix: str) -> list[dict[str, str]]:
    return [{"code": f"{prefix}.{code}", "name_zh": zh, "name_en": en} for code, zh, en in rows]


def sector_view(sector: str, sectors: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    spec = (sectors or SECTORS)[sector]
    flag_items = {flag: _items(rows, sector) for flag, rows in spec.get("flag_items", {}).items()}
    return {
        "code": sector,
        "name_zh": spec["name_zh"],
        "name_en": spec["name_en"],
        "legal_basis": spec["legal_basis"],
        "subtypes": spec["subtypes"],
        "flags": {
            flag: {"name_zh": FLAG_NAMES[flag], "required": required} for flag, required in spec["flags"].items()
        },
        "items": _items(spec["items"], sector),
        "flag_items": flag_items,
    }


def checklist(
    sector: str, flags: dict[str, bool], sectors: dict[str, dict[str, Any]] | None = None
) -> list[dict[str, str]]:
    """The items that apply to one entity: the sector's list plus the extras its flags call for."""
    view = sector_view(sector, sectors)
    items = list(view["items"])
    for combo, extra in view["flag_items"].items():
        if all(flags.get(flag) for flag in combo.split("+")):
            items.extend(extra)
    return items


# Every published version, oldest first. `sectors` is the data above for the current version.
CATALOG_VERSIONS: dict[str, dict[str, Any]] = {
    CATALOG_VERSION: {
        "basis": "抚顺市公安局关于推广随机抽查规范事中事后监管的实施细则",
        "note": "Item list of §2 (娱乐场所和特种行业, 保安服务业, 爆破作业单位, 单位履行消防安全职责, 网吧)",
        "sectors": SECTORS,
    },
}


def catalog_view(version: str) -> dict[str, Any]:
    """One published version: KeyError if there is no such version."""
    entry = CATALOG_VERSIONS[version]
    return {
        "version": version,
        "current": version == CATALOG_VERSION,
        "basis": entry["basis"],
        "note": entry["note"],
        "sectors": [sector_view(code, entry["sectors"]) for code in entry["sectors"]],
    }
