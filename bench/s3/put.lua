-- wrk: PUT a 4 KiB body to a fresh presigned URL per request. Each thread takes every Nth line of the URL file.
local threads, urls, i, body = {}, {}, 0, string.rep("k", 4096)
local counter = 0
function setup(thread) thread:set("tid", counter); counter = counter + 1; table.insert(threads, thread) end
function init(args)
  local n, nthreads = 0, tonumber(args[2])
  for line in io.lines(args[1]) do
    if n % nthreads == tid then urls[#urls + 1] = line end
    n = n + 1
  end
end
function request()
  i = i % #urls + 1
  return wrk.format("PUT", urls[i], { ["Content-Type"] = "application/octet-stream" }, body)
end
