-- Appended to every scenario: one machine-readable line at the end of wrk's output.
function done(summary, latency, requests)
  local non2xx = summary.errors.status
  io.write(string.format("BENCH rps=%.1f p50=%.3f p99=%.3f requests=%d non2xx=%d socket_errors=%d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.requests, non2xx,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
