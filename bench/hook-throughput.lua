-- wrk script for bench/hook-throughput.sh: posts a signed repo:refs_changed body with a unique
-- X-Request-Id per request and appends the delivery id of every 2xx answer to
-- $ACK_DIR/acked-<thread>.txt, so the bench can prove each acknowledged delivery has a row.

local body_file = assert(io.open(os.getenv("BODY_FILE"), "rb"))
local body = body_file:read("*a")
body_file:close()
local signature = os.getenv("SIGNATURE")
local ack_dir = os.getenv("ACK_DIR")

local next_thread = 0

function setup(thread)
  next_thread = next_thread + 1
  thread:set("tid", next_thread)
end

local counter = 0
local ack_file

function init(args)
  ack_file = assert(io.open(ack_dir .. "/acked-" .. tid .. ".txt", "w"))
  -- Line-buffered: wrk may exit without closing thread states, and a lost buffer would
  -- undercount acknowledgements.
  ack_file:setvbuf("line")
end

function request()
  counter = counter + 1
  local headers = {
    ["Content-Type"] = "application/json; charset=utf-8",
    ["X-Event-Key"] = "repo:refs_changed",
    ["X-Request-Id"] = string.format("bench-%d-%d", tid, counter),
    ["X-Hub-Signature"] = signature,
  }
  return wrk.format("POST", "/webhook", headers, body)
end

function response(status, headers, resp_body)
  if status >= 200 and status < 300 then
    local id = string.match(resp_body, '"delivery":"([^"]+)"')
    ack_file:write(id or "<2xx without delivery id>", "\n")
  end
end
