"""Several laddnet processes on one MongoDB replica set, with no broker: domain events and station
commands travel through MongoDB collections watched with change streams.

- ``codec``: domain events and station commands <-> BSON-safe documents (class name + fields).
- ``events``: ``MongoEventBus``, an ``EventBus`` that also relays through the ``events`` collection.
- ``commands``: ``ClusterGateway``, a ``StationGateway`` that reaches the node holding a station.
- ``nodes``: the ``nodes`` collection: who is alive (heartbeats).
- ``relay``: ``ClusterRelay``, the three wired together with one lifecycle.
"""
