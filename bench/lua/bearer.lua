-- GET with a bearer access token (BENCH_TOKEN): userinfo.
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
