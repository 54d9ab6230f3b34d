"""The storm's baseline (bench/storm.py): the least a route that stores a request can do, one
row inserted into the same database, served by the same gunicorn configuration.

    STATUSPAGE_DATABASE_URL=... gunicorn --config deploy/gunicorn.conf.py \
        --pythonpath bench minimal_app:app
"""

from __future__ import annotations

import os
import secrets

from flask import Flask, jsonify, request
from sqlalchemy import Column, Integer, MetaData, String, Table, Text, create_engine, insert

metadata = MetaData()
rows = Table(
    "bench_row",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("reference", String(16), nullable=False),
    Column("body", Text, nullable=False),
)
engine = create_engine(os.environ["STATUSPAGE_DATABASE_URL"], pool_pre_ping=True)
app = Flask(__name__)


@app.post("/insert")
def insert_one():
    reference = secrets.token_hex(5)
    with engine.begin() as connection:
        connection.execute(insert(rows).values(reference=reference, body=request.get_data()))
    response = jsonify({"reference": reference})
    response.status_code = 201
    return response


def create() -> None:
    metadata.create_all(engine)
