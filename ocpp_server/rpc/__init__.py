"""OCPP-J RPC: laddnet's own message router in place of the ``ocpp`` library's, and what it borrows.

Checked against ``ocpp`` **2.1.0** (pinned exactly in pyproject.toml; ``LIBRARY_VERSION`` below, and
``tests/ocpp_server/test_rpc_library.py`` fails when the installed library differs). Upgrading the
library means re-reading the functions named here in the new version, re-running
``tests/ocpp_server/test_dispatch.py`` and ``test_fastpath.py`` (they feed the same frames to the
library's ``ChargePoint`` and to ours and compare the answers byte for byte), then moving the pin.

``router.RobustRouting`` reproduces ``ocpp.charge_point.ChargePoint``:

- ``route_message``: ``unpack`` the frame; a CALL goes to the handler; a CALLRESULT or CALLERROR
  goes into ``_response_queue``, where the library's ``ChargePoint.call`` waits for it.
  Departures, on purpose: a frame ``unpack`` refuses is answered with a CALLERROR (unique id "-1"
  when unreadable) instead of logged and dropped; an action the version does not define gets
  NotImplemented and a defined action without a handler NotSupported (the library's
  ``_raise_key_error`` has the two the other way round); any frame records the station as seen; a
  CALLRESULT or CALLERROR is queued only when it answers the call in flight (whose id our
  reproduction of ``_get_specific_response`` sets), else dropped: the library queues every one,
  and unsolicited answers piled up for ever.
- ``_handle_call`` (``_answer``/``_after``): validate the CALL unless ``@on(...,
  skip_schema_validation=True)``; ``camel_to_snake_case`` the payload; call the ``@on`` handler with
  ``call_unique_id`` only when its signature names it; await the result if awaitable; a handler's
  exception becomes ``msg.create_call_error(exc)``; the answer goes through ``serialize_as_dict``,
  ``remove_nones`` and ``snake_to_camel_case``, is validated as a CALLRESULT and sent; then the
  ``@after`` hook runs as a task (ours keeps a reference to it and logs its failure).
- It does not call ``ChargePoint.__init__`` (a per-connection route map, lock and queue) but provides
  the private attributes the library's ``call()`` (and its ``_get_specific_response``) reads:
  ``_connection``, ``_send``, ``_call_lock``, ``_response_queue``, ``_response_timeout``,
  ``_unique_id_generator``, ``_ocpp_version`` and ``logger``.
- Validation is the library's private ``ocpp.messages._validate_payload`` itself, called directly:
  the public ``validate_payload`` only adds the thread-pool hop that ``fastpath`` turns off.
  For a 1.6 station, ``codes16`` re-words a schema failure with OCPP-J 1.6's Table 7 codes (the
  library answers every version with 2.0.1's ``FormatViolation``); the decision is still the
  library's validator's.

``dispatch`` reproduces, once per handler class instead of per message or per connection:

- ``routes``: ``ocpp.routing.create_route_map``, reading the private markers ``@on``/``@after`` set
  on a function (``_on_action``, ``_after_action``, ``_skip_schema_validation``).
- ``to_wire``: ``snake_to_camel_case(remove_nones(serialize_as_dict(answer)))`` in one walk.
- ``encode``: ``Call/CallResult/CallError.to_json`` (``separators=(",", ":")`` and the library's
  private ``ocpp.messages._DecimalEncoder``), with one encoder instead of one per frame.

``fastpath.install()`` (run when ``ocpp_server.server`` is imported) patches the library in place:

- ``ocpp.messages.ASYNC_VALIDATION = False``: validation in the event loop, no thread-pool hop.
- ``ocpp.messages.get_validator``: the library's ``Draft4Validator`` per schema, with a
  ``fastjsonschema`` accept path in front; any payload that path refuses is decided and worded by
  the library's validator, so the CALLERROR code and text are the library's. The Decimal-parsed
  schemas (``parse_float`` not ``float``) keep the library's validator.
- ``ocpp.charge_point.camel_to_snake_case`` / ``snake_to_camel_case``: the library's own key rules
  (its special cases for SoC, V2X, V2G, CSMS, URL), memoised per key.
"""

LIBRARY_VERSION = "2.1.0"  # the ``ocpp`` release every statement above was checked against
