-- lua/event.lua -- postwarden-policyd: append one event to the stream
-- (docs/redis-schema.md, "Events").  A script rather than a bare XADD so
-- that the event's time is Redis's own, like its stream id and like every
-- window and rate the accounting scripts keep (TIME): one clock, whatever
-- the daemon hosts' clocks say.
--
-- KEYS[1]  <prefix>events, the stream
--
-- ARGV[1]  the stream's approximate cap (events_max_length, XADD MAXLEN ~)
-- ARGV[2]  the event type ("billed", "refused")
-- ARGV[3..] the other fields, name then value
--
-- Returns the new entry's id.  The "time" field (Unix seconds) follows
-- "type", as postwarden-milter writes it.

local t = redis.call('TIME')
return redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*',
    'type', ARGV[2], 'time', t[1], unpack(ARGV, 3))
