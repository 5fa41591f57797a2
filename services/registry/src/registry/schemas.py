from datetime import date
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from registry import codes

Sector = Literal["entertainment", "special_trade", "security_service", "blasting", "fire_safety", "internet_cafe"]
Unit = Literal[
    "city_public_order",
    "county_public_order",
    "police_station",
    "fire_supervision",
    "network_security",
    "blasting_supervision",
]
Ident = Annotated[
    str,
    Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$",
        description="Stable id from the source system (no spaces, TAB or LF)",
    ),
]


def _check(problem_of):  # type: ignore[no-untyped-def]
    def check(value: str) -> str:
        problem = problem_of(value)
        if problem:
            raise ValueError(problem)
        return value

    return AfterValidator(check)


CreditCode = Annotated[
    str, _check(codes.credit_code_problem), Field(description="统一社会信用代码 (GB 32100-2015, check digit verified)")
]
DivisionCode = Annotated[
    str, _check(codes.division_problem), Field(description="行政区划代码 of a Fushun county or district (2104xx)")
]


class EntityIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "id": "ENT-0001",
                    "sector": "entertainment",
                    "subtype": "venue",
                    "name": "抚顺金色年华KTV有限公司",
                    "credit_code": "91210400MA0XXXXXX0",
                    "division_code": "210402",
                    "grade": "B",
                    "flags": {"lodging": False},
                }
            ]
        },
    )

    id: Ident
    sector: Sector
    subtype: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=200)
    credit_code: CreditCode
    division_code: DivisionCode
    grade: Literal["A", "B", "C"] | None = Field(None, description="治安分级 A/B/C, entertainment only")
    flags: dict[str, bool] = Field(default_factory=dict)
    active: bool = True


class EntityBatch(BaseModel):
    entities: list[EntityIn] = Field(min_length=1)


class EntityRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    sector: str
    subtype: str
    name: str
    credit_code: str
    division_code: str
    grade: str | None
    flags: dict[str, bool]
    active: bool
    version: int


class EntityList(BaseModel):
    items: list[EntityRead]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page; null at the end")


class BatchResult(BaseModel):
    inserted: int
    updated: int
    unchanged: int


class InspectorIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "id": "INS-001",
                    "name": "张警官",
                    "unit": "county_public_order",
                    "jurisdiction": "210402",
                    "qualification_expires_date": "2028-12-31",
                    "conflicts": ["ENT-0003"],
                }
            ]
        },
    )

    id: Ident
    name: str = Field(min_length=1, max_length=100)
    unit: Unit
    jurisdiction: DivisionCode
    qualification_expires_date: date | None = None
    active: bool = True
    conflicts: list[Ident] = Field(default_factory=list, description="Entity ids this officer is recused from (回避)")


class InspectorBatch(BaseModel):
    inspectors: list[InspectorIn] = Field(min_length=1)


class InspectorRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    unit: str
    jurisdiction: str
    qualification_expires_date: date | None
    active: bool
    conflicts: list[str]
    version: int


class InspectorList(BaseModel):
    items: list[InspectorRead]
    next_cursor: str | None
