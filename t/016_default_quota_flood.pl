# The attack: a tenant who may create schemas, in a database with a default
# schema quota of '0' (nothing without a quota of one's own), creates more
# schemas than the quota map holds.  Each is an exceeded quota, so they take
# the room of every entry that is not exceeded, another database's
# included; an explicit quota of that other database that becomes exceeded
# afterwards found no room and was not enforced (fail open, across
# databases, by a tenant).  The number of defaulted quotas is the tenants'
# to choose, that of explicit quotas the superuser's: a defaulted entry must
# never keep an explicit exceeded quota out of the map.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('default_flood');
$node->init;
$node->append_conf(
	'postgresql.conf', q{
shared_preload_libraries = 'diskquota'
diskquota.monitor_databases = 'postgres, db2'
# refreshes only when a test asks for one
diskquota.naptime = 3600
diskquota.max_quotas = 16
max_worker_processes = 8
autovacuum = off
});
$node->start;

$node->safe_psql('postgres', 'CREATE EXTENSION diskquota; CREATE DATABASE db2');
$node->safe_psql('db2', 'CREATE EXTENSION diskquota');

sub epoch
{
	my ($db) = @_;
	$node->safe_psql($db, 'SELECT diskquota.wait_for_worker_new_epoch()');
}

sub reason
{
	my ($db) = @_;
	return $node->safe_psql($db,
		"SELECT coalesce(degraded_reason, '') FROM diskquota.status() WHERE database_name = '$db'"
	);
}

# db2: a tenant's schema with an explicit quota, not exceeded yet.
$node->safe_psql(
	'db2', q{
CREATE ROLE victim;
CREATE SCHEMA s2 AUTHORIZATION victim;
CREATE TABLE s2.t AS SELECT generate_series(1, 100000) AS i;
ALTER TABLE s2.t OWNER TO victim;
SELECT diskquota.set_schema_quota('s2', '1 GB');
});
epoch('db2');

# postgres: a default schema quota of '0', and a tenant who may create
# schemas floods the map with them (each empty one is exceeded).
$node->safe_psql(
	'postgres', q{
CREATE ROLE tenant;
GRANT CREATE ON DATABASE postgres TO tenant;
SELECT diskquota.set_default_quota('schema', '0');
});
$node->safe_psql(
	'postgres', q{
SET ROLE tenant;
DO $$
BEGIN
  FOR i IN 1..20 LOOP
    EXECUTE format('CREATE SCHEMA x%s', i);
  END LOOP;
END $$;
});
epoch('postgres');
is( reason('postgres'),
	'quota map is full of exceeded quotas, some exceeded quotas are not enforced',
	'the flood fills the map, and status() says so');

# db2's quota becomes exceeded: it must be enforced.
$node->safe_psql('db2', "SELECT diskquota.set_schema_quota('s2', '1 MB')");
epoch('db2');
my ($ret, $stdout, $stderr) =
  $node->psql('db2', 'SET ROLE victim; INSERT INTO s2.t VALUES (1)');
like(
	$stderr,
	qr/schema's disk space quota exceeded with name: s2/,
	"another database's explicit exceeded quota is enforced despite the flood");
is($node->safe_psql('db2', 'SELECT count(*) FROM diskquota.show_rejectmap()'),
	'1', 'and shown in the reject map');
is(reason('db2'), '', 'db2 is not degraded: its quota took a defaulted entry\'s room');

# The flooding database keeps saying that some of its quotas are not
# enforced (they are its tenants' own defaulted schemas).
epoch('postgres');
is( reason('postgres'),
	'quota map is full of exceeded quotas, some exceeded quotas are not enforced',
	'the flooding database is degraded');
epoch('db2');
($ret, $stdout, $stderr) =
  $node->psql('db2', 'SET ROLE victim; INSERT INTO s2.t VALUES (1)');
like(
	$stderr,
	qr/schema's disk space quota exceeded with name: s2/,
	'still enforced after the flooding database refreshed again');

$node->stop;
done_testing();
