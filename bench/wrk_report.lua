-- wrk script for bench/load.py: the request (method, body, a path whose {id} rotates over WRK_IDS, with the
-- command line's headers, such as the session cookie), and one JSON line at the end with requests/s, p50, p95,
-- the errors and the redirects (a page answering 302 was not served: a lost session shows up here).
local method = os.getenv("WRK_METHOD") or "GET"
local body = os.getenv("WRK_BODY")
local template = os.getenv("WRK_PATH") or "/"
local ids = {}
for id in string.gmatch(os.getenv("WRK_IDS") or "", "[^,]+") do
  table.insert(ids, id)
end
local threads = {}

setup = function(thread)
  table.insert(threads, thread)
end

init = function(args)
  redirects = 0
end

request = function()
  local path = template
  if #ids > 0 then
    path = string.gsub(template, "{id}", ids[math.random(#ids)])
  end
  local headers = {}
  for name, value in pairs(wrk.headers) do
    headers[name] = value
  end
  if body then
    headers["Content-Type"] = "application/x-www-form-urlencoded"
  end
  return wrk.format(method, path, headers, body)
end

response = function(status, headers, body)
  if status >= 300 and status < 400 then
    redirects = redirects + 1
  end
end

done = function(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  local redirected = 0
  for _, thread in ipairs(threads) do
    redirected = redirected + thread:get("redirects")
  end
  io.write(string.format(
    'WRK_REPORT {"requests": %d, "rps": %.1f, "p50_ms": %.2f, "p95_ms": %.2f, "errors": %d, "bad_status": %d, ' ..
    '"redirects": %d}\n', summary.requests, summary.requests / seconds, latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, errors, summary.errors.status, redirected))
end
