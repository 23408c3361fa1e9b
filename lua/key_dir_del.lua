-- lua/key_dir_del.lua -- postwarden (the CLI) (cli/cli_key.c).
--
-- The directory entry, only while it names ARGV[1]: 1 deleted, else 0.

if redis.call('HGET', KEYS[1], 'tenant') == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
