"""The embedded store: starts as a replica set, is joined by a second process, keeps its data."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from pymongo import MongoClient

from laddnet.embedded_mongo import EmbeddedMongo, EmbeddedMongoError, find_mongod


def test_starts_replica_set_is_joined_and_keeps_data_across_restarts(tmp_path: Path) -> None:
    first = EmbeddedMongo(tmp_path)
    uri = first.start()
    try:
        assert first.owned
        with MongoClient(uri, serverSelectionTimeoutMS=5000) as client:
            assert client.admin.command("hello")["setName"] == "rs0"
            client.t.things.insert_one({"kept": True})
            # transactions need a replica set: this one must work
            with client.start_session() as s, s.start_transaction():
                client.t.things.insert_one({"in_tx": True}, session=s)
        second = EmbeddedMongo(tmp_path)
        assert second.start() == uri
        assert not second.owned
        second.stop()  # a joiner never stops the owner's mongod
        with MongoClient(uri, serverSelectionTimeoutMS=5000) as client:
            assert client.t.things.count_documents({}) == 2
    finally:
        first.stop()
    assert json.loads((tmp_path / "mongod.json").read_text())["pid"] is None

    again = EmbeddedMongo(tmp_path)
    uri2 = again.start()
    try:
        with MongoClient(uri2, serverSelectionTimeoutMS=5000) as client:
            assert client.t.things.count_documents({"kept": True}) == 1
    finally:
        again.stop()


def test_restart_on_another_port_when_the_old_one_is_taken(tmp_path: Path) -> None:
    mongo = EmbeddedMongo(tmp_path)
    mongo.start()
    port = json.loads((tmp_path / "mongod.json").read_text())["port"]
    mongo.stop()
    (tmp_path / "mongod.json").write_text(json.dumps({"pid": 999999, "port": port}))
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", port))
        blocker.listen()
        moved = EmbeddedMongo(tmp_path)
        uri = moved.start()
        try:
            assert f":{port}/" not in uri
            with MongoClient(uri, serverSelectionTimeoutMS=10000) as client:
                client.t.x.insert_one({"ok": 1})  # a writable primary on the new port
        finally:
            moved.stop()


def test_a_missing_mongod_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(EmbeddedMongoError, match="does not exist"):
        find_mongod(tmp_path / "nope" / "mongod")
