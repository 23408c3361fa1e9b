-- lua/key_secret_add.lua -- postwarden (the CLI) (cli/cli_key_secret.c):
-- store a new secret of an API key, at most ARGV[4] live at once
-- (docs/redis-schema.md "API key secrets").
--
-- KEYS[1]  pw:{T}:key:<keyid>           the key record (hash)
-- KEYS[2]  pw:{T}:key:<keyid>:secrets   the key's secrets (hash)
-- ARGV[1]  sid   ARGV[2]  its hash   ARGV[3]  created (Unix s)
-- ARGV[4]  how many live secrets a key may have
--
-- Returns 1 stored; 0 the key has ARGV[4] secrets already; -1 no key
-- record; -2 the sid exists (the caller makes another).

if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1 then return -2 end
local live = 0
for _, f in ipairs(redis.call('HKEYS', KEYS[2])) do
	if not string.find(f, ':', 1, true) then live = live + 1 end
end
if live >= tonumber(ARGV[4]) then return 0 end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2], ARGV[1] .. ':created', ARGV[3])
return 1
