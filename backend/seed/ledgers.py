"""The ledgers (台账): buildings, households, residents and organisations of every grid.

Households are drawn by kind (`HOUSEHOLD_KINDS`: old people alone, young couples, three
generations, ...) until there are as many residents as asked, each person with a valid ID
number no one else has, and the key-group tags (重点人群) such a household would carry. The
buildings give every household a flat and leave some standing empty; organisations carry
unified social credit codes with both check characters.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from backend.cases.reference import COUNTY_CODE
from backend.ledgers.id_number import make_id_number
from backend.ledgers.models import KeyGroup, OrganizationKind, ResidenceType, RiskGrade, Sex
from backend.seed.vocabulary import (
    CHINESE_NUMERALS,
    COMMUNITY_GROUPS,
    COMPOUND_TEMPLATES,
    COOKING_TRADES,
    ENTERPRISES,
    FIRM_WORDS,
    HOUSEHOLD_KINDS,
    KEY_GROUP_ORDER,
    OLD_ALONE_KINDS,
    OTHER_REGIONS,
    PLACE_WORDS,
    RARE_TAG_RATES,
    SHOP_TRADES,
)
from backend.seed.world import DemoWorld, GridPlan, age_on

CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100: no I, O, S, V, Z
CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
# Weights of the organisation kinds, in OrganizationKind's order: enterprise, shop, social,
# public, school, medical, other.
ORGANIZATION_KIND_WEIGHTS = [20, 55, 7, 5, 4, 5, 4]


# --- households and residents --------------------------------------------------------------

def build_ledgers(world: DemoWorld, resident_target: int) -> None:
    """Households of realistic make-up until there are `resident_target` residents."""
    r = world.rng
    kinds = list(HOUSEHOLD_KINDS)
    kind_weights = [HOUSEHOLD_KINDS[k][0] for k in kinds]
    grid_rows = world.rows["grid"]
    grid_weights = [row["household_target"] for row in grid_rows]
    planned: dict[str, list[tuple[str, list[dict[str, Any]]]]] = {g.code: [] for g in world.grids}
    total = 0
    while total < resident_target:
        kind = r.choices(kinds, kind_weights)[0]
        members = household_members(world, kind)[: resident_target - total]
        grid_code = r.choices(grid_rows, grid_weights)[0]["code"]
        planned[grid_code].append((kind, members))
        total += len(members)
    for grid in world.grids:
        rooms = build_buildings(world, grid, len(planned[grid.code]))
        for (kind, members), (building, room) in zip(planned[grid.code], rooms, strict=True):
            add_household(world, grid, building, room, kind, members)
        choose_building_heads(world, grid)


def household_members(world: DemoWorld, kind: str) -> list[dict[str, Any]]:
    """Who lives together: relation to the head, sex, age and whose surname they carry."""
    r = world.rng
    any_sex = world.any_sex

    def member(relation: str, sex: Sex, age: int, surname: str = "own") -> dict[str, Any]:
        return {"relation": relation, "sex": sex, "age": max(0, min(age, 98)),
                "surname": surname}

    def couple(age: int) -> list[dict[str, Any]]:
        head_sex = Sex.male if r.random() < 0.75 else Sex.female
        spouse_sex = Sex.female if head_sex is Sex.male else Sex.male
        gap = r.randint(-5, 2) if head_sex is Sex.male else r.randint(-2, 5)
        return [member("户主", head_sex, age), member("配偶", spouse_sex, age + gap)]

    def children(parent_age: int, relations: tuple[str, str], oldest: int = 24
                 ) -> list[dict[str, Any]]:
        kids = []
        for _ in range(r.choice([1, 1, 2])):
            sex = any_sex()
            age = r.randint(0, max(0, min(parent_age - 22, oldest)))
            kids.append(member(relations[0] if sex is Sex.male else relations[1], sex, age,
                               "family"))
        return kids

    if kind == "独居老人":
        return [member("户主", Sex.female if r.random() < 0.65 else Sex.male, r.randint(60, 92))]
    if kind == "老年夫妇":
        return couple(r.randint(62, 88))
    if kind == "单身":
        return [member("户主", any_sex(), r.randint(20, 45))]
    if kind == "年轻夫妇":
        return couple(r.randint(23, 38))
    if kind == "中年夫妇":
        return couple(r.randint(45, 59))
    if kind == "核心家庭":
        age = r.randint(27, 55)
        return couple(age) + children(age, ("子", "女"))
    if kind == "三代同堂":
        age = r.randint(28, 52)
        people = couple(age) + children(age, ("子", "女"), oldest=22)
        parent_age = age + r.randint(22, 32)
        people.append(member("父亲", Sex.male, parent_age, "head"))
        if r.random() < 0.6:
            people.append(member("母亲", Sex.female, parent_age - r.randint(0, 4)))
        return people
    if kind == "留守家庭":
        age = r.randint(56, 76)
        grandparents = couple(age) if r.random() < 0.7 else [member("户主", any_sex(), age)]
        grandchildren = [member("孙子" if sex is Sex.male else "孙女", sex, r.randint(1, 15),
                                "family")
                         for sex in (any_sex() for _ in range(r.choice([1, 1, 2])))]
        return grandparents + grandchildren
    if kind == "合租":
        return [member("户主" if n == 0 else "其他", any_sex(), r.randint(20, 40))
                for n in range(r.choice([2, 2, 3]))]
    raise ValueError(kind)


def add_household(world: DemoWorld, grid: GridPlan, building: dict[str, Any], room: str,
                  kind: str, members: list[dict[str, Any]]) -> None:
    """The household row and one resident row per member, named after their families."""
    r = world.rng
    rented = r.random() < HOUSEHOLD_KINDS[kind][1]
    if rented:
        residence = r.choices([ResidenceType.floating, ResidenceType.temporary,
                               ResidenceType.permanent], [55, 25, 20])[0]
    else:
        residence = ResidenceType.registered if r.random() < 0.88 else ResidenceType.permanent
    if residence is ResidenceType.registered or (
            residence is ResidenceType.permanent and r.random() < 0.7):
        region = COUNTY_CODE
    else:
        region = r.choice(OTHER_REGIONS)
    # Subsistence allowance (低保) is granted per household, more often to old people alone.
    subsistence = r.random() < (0.05 if kind in OLD_ALONE_KINDS else 0.02)
    hardship = subsistence or r.random() < 0.01

    created = world.ledger_time()
    household = world.add("household", {
        "grid_code": grid.code, "building_id": building["id"], "room": room,
        "head_name": None, "is_rental": rented,
        "landlord_name": world.person_name(world.any_sex()) if rented else None,
        "landlord_phone": world.mobile() if rented else None,
        "note": ("合租" if kind == "合租" else "整租") if rented else None}, created)

    head_surname = world.fake.last_name()
    own_surnames = [head_surname if m["relation"] == "户主" else world.fake.last_name()
                    for m in members]
    # Children take the father's surname: the man among the head and the spouse.
    father_surname = next((s for m, s in zip(members, own_surnames, strict=True)
                           if m["relation"] in ("户主", "配偶") and m["sex"] is Sex.male),
                          head_surname)
    family_surnames = {"own": None, "head": head_surname, "family": father_surname}
    residents: list[dict[str, Any]] = []
    for member, own_surname in zip(members, own_surnames, strict=True):
        sex = member["sex"]
        birth = birth_date(world, member["age"])
        age = age_on(birth, world.today)
        name = world.person_name(sex, family_surnames[member["surname"]] or own_surname)
        if member["relation"] == "户主":
            household["head_name"] = name
        has_phone = age >= 16 and r.random() < (0.5 if age >= 80 else 0.92)
        residents.append(world.add("resident", {
            "grid_code": grid.code, "household_id": household["id"], "name": name,
            "id_number": id_number(world, region, birth, sex), "sex": sex,
            "birth_date": birth, "phone": world.mobile() if has_phone else None,
            "residence_type": residence, "relation_to_head": member["relation"],
            "key_groups": key_groups(world, kind, member["relation"], sex, age, residence,
                                     subsistence, hardship),
            "note": None}, created))
    world.visit_targets.append((household, residents))


def birth_date(world: DemoWorld, age: int) -> dt.date:
    return world.today - dt.timedelta(days=int(age * 365.25) + world.rng.randrange(1, 365))


def id_number(world: DemoWorld, region: str, birth: dt.date, sex: Sex) -> str:
    # make_id_number has 500 sequence numbers per region, birth date and sex: track the ones
    # used so that no two people share a number.
    used = world.used_ids.setdefault((region, birth, sex.value), set())
    if len(used) >= 499:
        raise RuntimeError(f"too many people born on {birth} in {region}")
    while True:
        sequence = world.rng.randrange(1, 500)  # never 000: real sequence numbers start at 001
        if sequence not in used:
            used.add(sequence)
            return make_id_number(region, birth, sequence, sex.value)


def key_groups(world: DemoWorld, kind: str, relation: str, sex: Sex, age: int,
               residence: ResidenceType, subsistence: bool, hardship: bool) -> list[str]:
    r = world.rng
    tags: list[KeyGroup] = []
    if age >= 60 and kind == "独居老人":
        tags.append(KeyGroup.elderly_alone)
    if age >= 60 and kind == "老年夫妇":
        tags.append(KeyGroup.empty_nest_elderly)
    if r.random() < (0.03 if age >= 60 else 0.01):
        tags.append(KeyGroup.disabled)
    if subsistence:
        tags.append(KeyGroup.subsistence)
    if hardship:
        tags.append(KeyGroup.hardship)
    # 4050人员: jobless women from 40 and men from 50 up to retirement age (the official
    # definition of the employment-aid programme), among people with local registration.
    in_4050_age = (40 <= age < 50) if sex is Sex.female else (50 <= age < 60)
    local = residence in (ResidenceType.registered, ResidenceType.permanent)
    if in_4050_age and local and r.random() < 0.08:
        tags.append(KeyGroup.jobless_4050)
    if kind == "留守家庭" and relation in ("孙子", "孙女") and age < 16:
        tags.append(KeyGroup.left_behind_child)
    if age >= 18:
        for group, rate in RARE_TAG_RATES.items():
            if group is KeyGroup.released_prisoner and sex is Sex.female:
                rate /= 5  # most released prisoners are men
            if r.random() < rate:
                tags.append(group)
    return sorted((t.value for t in tags), key=KEY_GROUP_ORDER.__getitem__)


# --- buildings -----------------------------------------------------------------------------

def build_buildings(world: DemoWorld, grid: GridPlan, households: int
                    ) -> list[tuple[dict[str, Any], str]]:
    """Buildings with room for the grid's households and some empty flats; returns the
    (building, room) of each household."""
    r = world.rng
    compounds = []
    for _ in range(r.randint(1, 3)):
        template = r.choice(COMPOUND_TEMPLATES)
        compounds.append(template.format(n=CHINESE_NUMERALS[r.randint(2, 10)],
                                         road=r.choice(grid.roads), word=r.choice(PLACE_WORDS)))
    slots: list[tuple[dict[str, Any], str]] = []
    numbers: dict[str, int] = {}
    while not slots or len(slots) < households * 1.3:  # old mining town: many flats stand empty
        compound = r.choice(compounds)
        numbers[compound] = numbers.get(compound, 0) + 1
        floors = r.choices([2, 5, 6, 7, 11, 18], [8, 15, 45, 12, 12, 8])[0]
        units = r.choice([1, 2, 2, 3]) if floors <= 7 else r.randint(1, 2)
        lng, lat = world.random_point(grid.polygon)
        name = f"{compound}{numbers[compound]}号楼"
        building = world.add("building", {
            "grid_code": grid.code, "name": name,
            "address": f"鹤山区{r.choice(grid.roads)}{r.randint(1, 300)}号{name}",
            "floors": floors, "units": units, "head_name": None, "head_phone": None,
            "lat": lat, "lng": lng}, world.ledger_time())
        slots += [(building, f"{unit}单元{floor}{door:02d}")
                  for unit in range(1, units + 1)
                  for floor in range(1, floors + 1)
                  for door in (1, 2)]
    taken = sorted(r.sample(range(len(slots)), households))
    return [slots[n] for n in taken]


def choose_building_heads(world: DemoWorld, grid: GridPlan) -> None:
    """The 楼栋长 is a settled middle-aged resident of the building, when there is one."""
    buildings = [b for b in world.rows["building"] if b["grid_code"] == grid.code]
    candidates: dict[int, list[dict[str, Any]]] = {b["id"]: [] for b in buildings}
    for household, residents in world.visit_targets:
        if household["grid_code"] != grid.code:
            continue
        for resident in residents:
            age = age_on(resident["birth_date"], world.today)
            if (35 <= age <= 72 and resident["phone"]
                    and resident["residence_type"] is ResidenceType.registered):
                candidates[household["building_id"]].append(resident)
    for building in buildings:
        pool = candidates[building["id"]]
        if pool:
            head = world.rng.choice(pool)
            building["head_name"], building["head_phone"] = head["name"], head["phone"]
        else:  # an empty building: a neighbour looks after it
            building["head_name"] = world.person_name(Sex.female)
            building["head_phone"] = world.mobile()


# --- organisations -------------------------------------------------------------------------

def organization_code_check(body: str) -> str:
    """GB 11714 check character of an 8-character organisation code body."""
    values = [int(c) if c.isdigit() else ord(c) - 55 for c in body]  # A=10 ... Z=35
    check = 11 - sum(v * w for v, w in zip(values, ORG_CODE_WEIGHTS, strict=True)) % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def credit_code(prefix: str, region: str, body: str) -> str:
    """An 18-character unified social credit code (GB 32100) with both check characters.

    prefix: registering authority and type, e.g. 91 company, 92 sole trader, 12 public
    institution, 51/52 social organisation; body: 8 characters of the organisation code.
    """
    first17 = prefix + region + body + organization_code_check(body)
    total = sum(CREDIT_CHARS.index(c) * w for c, w in zip(first17, CREDIT_WEIGHTS, strict=True))
    return first17 + CREDIT_CHARS[(31 - total % 31) % 31]


def new_credit_code(world: DemoWorld, prefix: str) -> str:
    while True:
        if world.rng.random() < 0.6:  # codes issued since 2015 carry an "MA" organisation code
            body = "MA" + "".join(world.rng.choice(CREDIT_CHARS) for _ in range(6))
        else:
            body = "".join(world.rng.choice("0123456789") for _ in range(8))
        code = credit_code(prefix, COUNTY_CODE, body)
        if code not in world.used_credit_codes:
            world.used_credit_codes.add(code)
            return code


def build_organizations(world: DemoWorld, per_grid_factor: float) -> None:
    """10 to 20 organisations per grid at scale 1, each with a name no other one has."""
    r = world.rng
    for grid in world.grids:
        for _ in range(max(1, round(r.uniform(10, 20) * per_grid_factor))):
            for _attempt in range(20):  # names are unique: draw again when one is taken
                draft = draw_organization(world, grid)
                if draft["name"] not in world.used_org_names:
                    break
            name, branch = draft["name"], 2
            while name in world.used_org_names:  # a second branch of the same shop
                name, branch = f"{draft['name']}({branch}号店)", branch + 1
            world.used_org_names.add(name)
            lng, lat = world.random_point(grid.polygon)
            risk = draft["risk"]
            world.add("organization", {
                "grid_code": grid.code, "name": name, "kind": draft["kind"],
                "credit_code": new_credit_code(world, draft["prefix"]) if draft["prefix"] else None,
                "legal_person": world.person_name(world.any_sex()),
                "phone": world.mobile() if r.random() < 0.7 else world.landline(),
                "address": f"鹤山区{r.choice(grid.roads)}{r.randint(1, 300)}号",
                "employees": draft["employees"], "risk_grade": risk,
                "is_key_supervised": risk in (RiskGrade.major, RiskGrade.high),
                "lat": lat, "lng": lng}, world.ledger_time())


def draw_organization(world: DemoWorld, grid: GridPlan) -> dict[str, Any]:
    """A drawn organisation: kind, name, credit code prefix (None: unregistered),
    employees and safety risk grade."""
    r = world.rng
    road, word = r.choice(grid.roads), r.choice(FIRM_WORDS)
    surname = world.fake.last_name()
    kind = r.choices(list(OrganizationKind), ORGANIZATION_KIND_WEIGHTS)[0]
    risk: RiskGrade | None = None
    prefix: str | None
    if kind is OrganizationKind.enterprise:
        template, risks = r.choice(ENTERPRISES)
        name = template.format(word=word, road=road)
        risk = RiskGrade(r.choices(list(risks), list(risks.values()))[0])
        prefix, employees = "91", int(r.lognormvariate(3.3, 0.8)) + 3
    elif kind is OrganizationKind.shop:
        trade = r.choice(SHOP_TRADES)
        owner = r.choice([f"{surname}记", road, word, f"老{surname}家"])
        name = owner + trade
        if trade in COOKING_TRADES and r.random() < 0.5:
            risk = r.choice([RiskGrade.general, RiskGrade.low])
        prefix = "92" if r.random() < 0.8 else None  # some stalls never registered
        employees = r.randint(1, 8)
    elif kind is OrganizationKind.social:
        name = f"{grid.community_name}" + r.choice(COMMUNITY_GROUPS)
        prefix = r.choice(["51", None])  # community groups are often only on file (备案)
        employees = r.randint(3, 30)
    elif kind is OrganizationKind.public:
        # Credit code prefixes: 11 government organ, 12 public institution.
        name, prefix = r.choice([(f"鹤山区{road}派出所", "11"), (f"鹤山区{road}供电所", "12"),
                                 (f"鹤山区{road}邮政支局", "12"), (f"鹤山区{road}税务所", "11")])
        employees = r.randint(8, 60)
    elif kind is OrganizationKind.school:
        name, prefix = r.choice([(f"鹤山区{road}小学", "12"), (f"鹤山区{word}幼儿园", "52"),
                                 (f"鹤山区{road}中学", "12")])
        employees = r.randint(15, 120)
        risk = r.choice([RiskGrade.general, RiskGrade.low])  # schools are fire-safety units
    elif kind is OrganizationKind.medical:
        name, prefix = r.choice([(f"{road}社区卫生服务站", "12"), (f"{surname}氏诊所", "92"),
                                 (f"鹤壁{word}大药房", "91")])
        employees = r.randint(3, 40)
        risk = RiskGrade.low if r.random() < 0.5 else None
    else:
        name, prefix = r.choice([(f"{road}农贸市场", "91"), (f"{word}停车场", None),
                                 (f"{grid.community_name}快递驿站", "92"),
                                 (f"鹤山区{word}农民专业合作社", "93")])
        employees = r.randint(2, 30)
    return {"kind": kind, "name": name, "prefix": prefix, "employees": employees, "risk": risk}
