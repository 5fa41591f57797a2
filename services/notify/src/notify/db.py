from sqlalchemy.orm import DeclarativeBase

from shared.messaging import messaging_tables


class Base(DeclarativeBase):
    pass


messaging = messaging_tables(Base.metadata)
