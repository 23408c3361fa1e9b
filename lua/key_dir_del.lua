-- lua/key_dir_del.lua -- postwarden (the CLI) (cli/cli_key.c, and
-- cli/cli_domain.c for pw:domain:<domain>, which has the same shape).
--
-- KEYS[1] a directory entry (a hash with field tenant); ARGV[1] the
-- tenant.  It is deleted only while it names ARGV[1]: 1 deleted, else 0.

if redis.call('HGET', KEYS[1], 'tenant') == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
