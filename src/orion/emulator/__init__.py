"""Local Stripe- and HubSpot-compatible API servers (like stripe-mock / LocalStack).

Used by `orion up --demo`, by tests and by benchmarks: the official clients are pointed
at it (`stripe.StripeClient(key, base_addresses={"api": url})`, httpx or the HubSpot
client with `host=url`), so it reproduces the providers' wire behaviour: auth errors,
list/cursor semantics, 30-day event retention, search caps, rate limits and error bodies
(HubSpot: CRM v3 objects and search, v4 association batch read).
Details, limits and demo keys: `README.md` beside this file.

Python API
    `state.EmulatorState` (data, clocks, faults), `app.create_emulator_app(state)`,
    `server.EmulatorServer(state)` (uvicorn on a free port in a thread; `with`/`async with`),
    `webhooks.send_account_events / send_stripe_webhooks / send_hubspot_webhooks`,
    `cli.emulator_app` (`orion emulator serve`).

Admin API (JSON, under `/_emulator`)
    GET    /health                                   {"status": "ok"}
    GET    /state                                    clock and every account/portal summary
    POST   /stripe/accounts                          {api_key?, customers, invoices, seed,
                                                      webhook_secret?, name?, now?, history_days?}
    GET    /stripe/accounts/{key}                    summary (account id, webhook secret, counts)
    DELETE /stripe/accounts/{key}
    POST   /stripe/accounts/{key}/churn              {customers: spec, invoices: spec, seed?,
                                                      step_seconds?}; spec = {create, update,
                                                      delete, update_fraction, delete_fraction}
                                                      -> ids created/updated/deleted + events
    GET    /stripe/accounts/{key}/truth              {customers|invoices: [{id, version, hash,
                                                      deleted, created, updated}]}
    POST   /hubspot/portals                          {access_token?, contacts, invoices, seed,
                                                      client_secret?, app_id?, portal_id?,
                                                      rate_limits?, now_ms?, history_days?}
    GET    /hubspot/portals/{token}                  summary
    DELETE /hubspot/portals/{token}
    POST   /hubspot/portals/{token}/churn            {contacts: spec, invoices: spec, seed?,
                                                      step_ms?} -> ids + webhook events
    GET    /hubspot/portals/{token}/truth            {contacts|invoices: [{id, version, hash,
                                                      archived, updated_at}]}
    GET    /hubspot/portals/{token}/webhook-events   every queued webhook event
    PUT    /hubspot/portals/{token}/rate-limits      {burst_max, burst_interval_ms, daily_max,
                                                      search_max, search_interval_ms} (0 or
                                                      null = off, and no headers for it)
    GET    /clock, PUT /clock {offset_seconds}, POST /clock/advance {seconds}   emulator-wide
    PUT    /clock/{stripe|hubspot}/{key} {offset_seconds}
    POST   /clock/{stripe|hubspot}/{key}/advance {seconds}                      one account
    PUT    /faults/{stripe|hubspot}/{key}            {rules: [FaultRule]} (kind: rate_limit |
                                                      server_error | latency | reset | redirect;
                                                      schedule: every | first | probability+seed;
                                                      max_faults, path_prefix, method,
                                                      retry_after, status, latency_ms, location,
                                                      redirect_status)
    GET    /faults/{stripe|hubspot}/{key}            counters: requests, faults per kind,
                                                      statuses, 429 log with retried_at, rules
    DELETE /faults/{stripe|hubspot}/{key}            drop rules and counters
    GET    /traps                                    requests that followed an injected redirect
    POST   /webhooks/send                            {provider, key, url, event_ids? | count?,
                                                      repeat, concurrency, batch_size, secret?,
                                                      extra_secrets, timestamp?}
                                                      -> {deliveries: [{event_ids, status, ...}]}
"""
