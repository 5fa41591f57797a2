#!/bin/sh
# docker-compose: one database per service.
set -e
for db in $POSTGRES_MULTIPLE; do
  psql -v ON_ERROR_STOP=1 -U postgres -c "CREATE DATABASE $db"
done
