"""``python -m bench``: a reproducible loopback load against laddnet's OCPP server and,
beside it, a bare ``ocpp``-library CSMS under the same load (see ``cli.py``)."""
