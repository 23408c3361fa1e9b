-- lua/key_add.lua -- postwarden (the CLI) (cli/cli_key.c).
--
-- Record + set in the tenant slot: 1 done, -1 when the tenant does not
-- exist, 0 when the record does.

if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
redis.call('HSET', KEYS[2], unpack(ARGV, 2))
redis.call('SADD', KEYS[3], ARGV[1])
return 1
