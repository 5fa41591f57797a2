from sqlalchemy.orm import DeclarativeBase

from shared.idempotency import idempotency_table
from shared.messaging import messaging_tables


class Base(DeclarativeBase):
    pass


messaging = messaging_tables(Base.metadata)
idempotency = idempotency_table(Base.metadata)
