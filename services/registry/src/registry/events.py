"""Events the registry emits, through its outbox."""

from sqlalchemy.ext.asyncio import AsyncSession

from registry.db import messaging
from registry.models import Entity, Inspector
from registry.schemas import EntityRead, InspectorRead
from shared.messaging import emit

SOURCE = "/ssj/registry"
ENTITY_UPSERTED = "ssj.registry.entity.upserted"
INSPECTOR_UPSERTED = "ssj.registry.inspector.upserted"
PRODUCES = [ENTITY_UPSERTED, INSPECTOR_UPSERTED]


async def entity_upserted(session: AsyncSession, entity: Entity) -> None:
    data = EntityRead.model_validate(entity).model_dump(mode="json")
    await emit(session, messaging, type=ENTITY_UPSERTED, source=SOURCE, key=entity.id, subject=entity.id, data=data)


async def inspector_upserted(session: AsyncSession, inspector: Inspector) -> None:
    data = InspectorRead.model_validate(inspector).model_dump(mode="json")
    await emit(
        session, messaging, type=INSPECTOR_UPSERTED, source=SOURCE, key=inspector.id, subject=inspector.id, data=data
    )
