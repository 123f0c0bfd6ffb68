"""Fault injection against a running ``laddnet serve`` (``make chaos``, ``python -m chaos``).

The harness starts everything the server needs in its own data directory: an embedded mongod, a
localstripe behind a TCP proxy that can stall, and ``laddnet serve`` as a subprocess. Charge points
that behave like real ones (they queue transaction messages, resend what was not answered across
reconnects, delete what was answered and remember exactly what they were answered) charge through a
sequence of faults: ``kill -9`` of the server (one during a StopTransaction burst), a stalled payment
provider, a stalled and restarted MongoDB, a poison station, huge request bodies and handshake
floods. After each fault the fleet drains and what is STORED in MongoDB and in localstripe is
compared with what the charge points were answered.
"""
