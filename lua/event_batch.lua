-- lua/event_batch.lua -- postwarden-milter (milter/milter_events.c).
--
-- KEYS[1] the stream, ARGV[1] its MAXLEN, then for each event the number
-- of its arguments and the arguments (field, value, ...).  One XADD per
-- event; the number of events written comes back.

local i, n = 2, 0
while i <= #ARGV do
  local k = tonumber(ARGV[i])
  redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*',
      unpack(ARGV, i + 1, i + k))
  i = i + 1 + k
  n = n + 1
end
return n
