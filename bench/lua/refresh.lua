-- refresh_token grant with rotation: run with as many threads as connections (-t N -c N), so that
-- each thread owns one connection and one token chain. BENCH_TOKENS names a file with one refresh
-- token per line (one per thread); each response's new refresh token is used for the next request.
local tokens = {}
local counter = 0

function setup(thread)
  if #tokens == 0 then
    for line in io.lines(os.getenv("BENCH_TOKENS")) do tokens[#tokens + 1] = line end
  end
  counter = counter + 1
  thread:set("token", tokens[counter])
end

local auth = os.getenv("BENCH_AUTH")

function request()
  return wrk.format("POST", nil, {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Authorization"] = auth,
  }, "grant_type=refresh_token&refresh_token=" .. token)
end

function response(status, headers, body)
  local new = body:match('"refresh_token"%s*:%s*"([^"]+)"')
  if status == 200 and new then token = new end
end
