-- wrk script for bench/load.py: the request (method, body, a path whose {id} rotates over WRK_IDS), and one JSON
-- line at the end with requests/s, p50, p95 and the errors.
local method = os.getenv("WRK_METHOD") or "GET"
local body = os.getenv("WRK_BODY")
local template = os.getenv("WRK_PATH") or "/"
local ids = {}
for id in string.gmatch(os.getenv("WRK_IDS") or "", "[^,]+") do
  table.insert(ids, id)
end
local headers = {}
if body then
  headers["Content-Type"] = "application/x-www-form-urlencoded"
end

request = function()
  local path = template
  if #ids > 0 then
    path = string.gsub(template, "{id}", ids[math.random(#ids)])
  end
  return wrk.format(method, path, headers, body)
end

done = function(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format(
    'WRK_REPORT {"requests": %d, "rps": %.1f, "p50_ms": %.2f, "p95_ms": %.2f, "errors": %d, "bad_status": %d}\n',
    summary.requests, summary.requests / seconds, latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    errors, summary.errors.status))
end
