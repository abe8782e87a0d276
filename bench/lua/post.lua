-- POST one form body (BENCH_BODY) with HTTP Basic client authentication (BENCH_AUTH), e.g. a
-- client_credentials grant. Counts responses whose body lacks "access_token" as errors.
wrk.method = "POST"
wrk.body = os.getenv("BENCH_BODY")
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = os.getenv("BENCH_AUTH")
