-- lua/schema.lua -- the Redis key names the scripts derive, from
-- lib/schema.c's table: written by tests/unit/schema_dump --lua
-- (make lua-schema), checked by tests/unit/schema.sh; do not edit.
-- The build puts it in front of the scripts that derive names
-- (lua/local.mk).  P is the tenant's slot prefix, "pw:{acme}:" (ARGV[1]);
-- <who> is schema_who_tenant() or schema_who_key(keyid), <window>
-- schema_window(unit, id): "d:20261127".

-- <P>tenant
local function schema_tenant(P)
	return P .. 'tenant'
end

-- <P>key:<keyid>
local function schema_key(P, keyid)
	return P .. 'key:' .. keyid
end

-- <P>keys
local function schema_keys(P)
	return P .. 'keys'
end

-- <P>gen
local function schema_gen(P)
	return P .. 'gen'
end

-- <P>key:<keyid>:secrets
local function schema_key_secrets(P, keyid)
	return P .. 'key:' .. keyid .. ':secrets'
end

-- <P>authfail:<keyid>
local function schema_authfail_key(P, keyid)
	return P .. 'authfail:' .. keyid
end

-- <P>supp
local function schema_supp(P)
	return P .. 'supp'
end

-- <P>supp:stream:<stream>
local function schema_supp_stream(P, stream)
	return P .. 'supp:stream:' .. stream
end

-- <P>supp:bulk
local function schema_supp_bulk(P)
	return P .. 'supp:bulk'
end

-- <P>domains
local function schema_domains(P)
	return P .. 'domains'
end

-- <P>domain:<domain>
local function schema_domain(P, domain)
	return P .. 'domain:' .. domain
end

-- <P>dkim:<domain>
local function schema_dkim_selectors(P, domain)
	return P .. 'dkim:' .. domain
end

-- <P>dkim:<domain>:<selector>
local function schema_dkim_key(P, domain, selector)
	return P .. 'dkim:' .. domain .. ':' .. selector
end

-- <P>txn:<instance>
local function schema_txn(P, instance)
	return P .. 'txn:' .. instance
end

-- <P>billed:<queue_id>
local function schema_billed(P, queue_id)
	return P .. 'billed:' .. queue_id
end

-- <P>gcra:<who>
local function schema_gcra(P, who)
	return P .. 'gcra:' .. who
end

-- <P>used:<who>:<window>
local function schema_used(P, who, window)
	return P .. 'used:' .. who .. ':' .. window
end

-- <P>resv:<who>:<window>
local function schema_resv(P, who, window)
	return P .. 'resv:' .. who .. ':' .. window
end

-- <P>msgs:<who>:d:<YYYYMMDD>
local function schema_msgs(P, who, yyyymmdd)
	return P .. 'msgs:' .. who .. ':d:' .. yyyymmdd
end

-- <P>bytes:<who>:d:<YYYYMMDD>
local function schema_bytes(P, who, yyyymmdd)
	return P .. 'bytes:' .. who .. ':d:' .. yyyymmdd
end

-- tenant
local function schema_who_tenant()
	return 'tenant'
end

-- key:<keyid>
local function schema_who_key(keyid)
	return 'key:' .. keyid
end

-- <unit>:<id>
local function schema_window(unit, id)
	return unit .. ':' .. id
end
