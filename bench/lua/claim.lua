-- wrk: every request claims a different open order, as one of many members.
-- Environment: BENCH_TOKENS (a file, one access token a line), BENCH_FIRST_ID,
-- BENCH_LAST_ID (the pool's ids), BENCH_THREADS (wrk's -t).
-- Thread k claims ids first+k, first+k+threads, …; past the end of the pool
-- a thread repeats the last id (answered ALREADY_CLAIMED) until wrk is stopped.

local next_thread = 0

function setup(thread)
  thread:set("tid", next_thread)
  next_thread = next_thread + 1
end

function init(args)
  tokens = {}
  for line in io.lines(os.getenv("BENCH_TOKENS")) do
    if #line > 0 then tokens[#tokens + 1] = line end
  end
  last_id = tonumber(os.getenv("BENCH_LAST_ID"))
  step = tonumber(os.getenv("BENCH_THREADS"))
  next_id = tonumber(os.getenv("BENCH_FIRST_ID")) + tid
  sent = 0
  -- wrk calls request() once on thread 0 to check the script and never sends
  -- that request: it must not use up an id.
  unsent = (tid == 0) and 1 or 0
end

local query = "mutation($id: ID!) { claimOrder(orderId: $id) { id status completeDueAt } }"

function request()
  local id = next_id
  if unsent > 0 then
    unsent = unsent - 1
  else
    next_id = next_id + step
  end
  if id > last_id then
    id = last_id -- past the end: answered ALREADY_CLAIMED until wrk is stopped
  end
  sent = sent + 1
  local token = tokens[(sent * step + tid) % #tokens + 1]
  local body = '{"query":"' .. query .. '","variables":{"id":"' .. id .. '"}}'
  return wrk.format("POST", "/graphql", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. token,
  }, body)
end
