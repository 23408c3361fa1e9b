-- lua/key_del.lua -- postwarden (the CLI) (cli/cli_key.c).
--
-- Record + set in the tenant slot; how many of the two existed.

return redis.call('DEL', KEYS[1]) + redis.call('SREM', KEYS[2], ARGV[1])
