-- wrk: a page of 20 orders with each order's placer, claimant and community,
-- as the mini-program's list asks for it, by many signed-in volunteers.
-- Environment: BENCH_TOKENS (a file, one access token a line), BENCH_QUERY
-- (the query's file: bench/list.graphql, one line without quotes).

function init(args)
  tokens = {}
  for line in io.lines(os.getenv("BENCH_TOKENS")) do
    if #line > 0 then tokens[#tokens + 1] = line end
  end
  local file = io.open(os.getenv("BENCH_QUERY"))
  local query = file:read("*l")
  file:close()
  body = '{"query":"' .. query .. '"}'
  sent = 0
end

function request()
  sent = sent + 1
  return wrk.format("POST", "/graphql", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. tokens[sent % #tokens + 1],
  }, body)
end
