# Full shared structures.  The quota map: exceeded quotas take precedence
# (over quotas that are not exceeded, of any database), so enforcement stays
# exact while the exceeded quotas fit; beyond that the extra ones are not
# enforced (fail open).  The active-relation map: a full map means a full
# rescan, not lost updates.  A transaction with more relations than a
# backend slot holds.  Each shows in diskquota.status() and is logged once.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('limits');
$node->init;
$node->append_conf(
	'postgresql.conf', q{
shared_preload_libraries = 'diskquota'
diskquota.monitor_databases = 'postgres, db2'
# refreshes only when a test asks for one
diskquota.naptime = 3600
diskquota.max_quotas = 16
diskquota.max_active_tables = 1024
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

# how many of the schemas named by a LIKE pattern refuse an INSERT
sub refused
{
	my ($db, $like) = @_;
	my @schemas = split /\n/,
	  $node->safe_psql($db,
		"SELECT nspname FROM pg_namespace WHERE nspname LIKE '$like' ORDER BY 1");
	my $n = 0;
	for my $s (@schemas)
	{
		my ($ret, $stdout, $stderr) = $node->psql($db,
			"INSERT INTO $s.t VALUES (1)",
			extra_params => [ '-v', 'VERBOSITY=verbose' ]);
		$n++ if $stderr =~ /ERROR:  53100: schema's disk space quota exceeded with name: $s/;
	}
	return $n;
}

sub log_count
{
	my ($re) = @_;
	my @m = (slurp_file($node->logfile) =~ /$re/g);
	return scalar @m;
}

# db2 fills the quota map with 16 quotas that are not exceeded.
$node->safe_psql(
	'db2', q{
DO $$
BEGIN
  FOR i IN 1..16 LOOP
    EXECUTE format('CREATE SCHEMA q%s; CREATE TABLE q%s.t AS SELECT 1 AS i', i, i);
    PERFORM diskquota.set_schema_quota('q' || i, '1 GB');
  END LOOP;
END $$;
});
epoch('db2');
is(reason('db2'), '', 'db2: 16 quotas fit in a map of 16');

# postgres: three exceeded quotas and two that are not.  The exceeded ones
# take the room of db2's quotas that are not exceeded; the other two do not
# fit.
$node->safe_psql(
	'postgres', q{
DO $$
BEGIN
  FOR i IN 1..3 LOOP
    EXECUTE format('CREATE SCHEMA e%s; CREATE TABLE e%s.t AS SELECT generate_series(1, 100000) AS i', i, i);
    PERFORM diskquota.set_schema_quota('e' || i, '1 MB');
  END LOOP;
  FOR i IN 1..2 LOOP
    EXECUTE format('CREATE SCHEMA n%s; CREATE TABLE n%s.t AS SELECT 1 AS i', i, i);
    PERFORM diskquota.set_schema_quota('n' || i, '1 GB');
  END LOOP;
END $$;
});
epoch('postgres');
is(refused('postgres', 'e%'), 3, 'every exceeded quota is enforced in a full map');
is(refused('postgres', 'n%'), 0, 'quotas that are not exceeded refuse nothing');
is(reason('postgres'), 'quota map is full, the usage of some quotas is not shown',
	'status: usage not shown');
epoch('db2');
is(reason('db2'), 'quota map is full, the usage of some quotas is not shown',
	'db2 lost room to the exceeded quotas, and says so');
is( $node->safe_psql(
		'db2', 'SELECT count(*) FROM diskquota.quota_usage()'),
	'13',
	'db2 shows the usage of the 13 quotas that fit');
epoch('postgres');
epoch('postgres');
is(refused('postgres', 'e%'), 3, 'still enforced after more refreshes');
is( log_count(
		qr/WARNING:  diskquota does not show the usage of some quotas of database "postgres"/
	),
	1,
	'the full map is logged once');

# db2 now has 16 exceeded quotas: with postgres's 3, more than the map
# holds.  13 fit; the 3 others are not enforced (fail open: refusing the
# whole database would refuse tenants within their quota), with a WARNING.
$node->safe_psql(
	'db2', q{
DO $$
BEGIN
  FOR i IN 1..16 LOOP
    PERFORM diskquota.set_schema_quota('q' || i, '0');
  END LOOP;
END $$;
});
epoch('db2');
is(refused('db2', 'q%'), 13, 'the exceeded quotas that fit are enforced');
is(refused('postgres', 'e%'), 3, "another database's exceeded quotas keep their room");
is( reason('db2'),
	'quota map is full of exceeded quotas, some exceeded quotas are not enforced',
	'status: some exceeded quotas are not enforced');
epoch('db2');
is( log_count(
		qr/WARNING:  diskquota does not enforce some exceeded quotas of database "db2"/
	),
	1,
	'logged once');

# Room again: every quota is enforced and shown.
$node->safe_psql('postgres',
	"SELECT diskquota.set_schema_quota(nspname, '-1') FROM pg_namespace WHERE nspname ~ '^[en][0-9]'"
);
epoch('postgres');
epoch('db2');
is(refused('db2', 'q%'), 16, 'all 16 enforced once there is room');
is(reason('db2'), '', 'db2 no longer degraded');
is(reason('postgres'), '', 'postgres no longer degraded');
$node->safe_psql('db2',
	"SELECT diskquota.set_schema_quota(nspname, '-1') FROM pg_namespace WHERE nspname LIKE 'q%'");
epoch('db2');

# Default quotas take room as explicit ones do: a default schema quota in
# db2 applies to its 17 schemas (q1..q16 and public), one more than the
# map holds.
$node->safe_psql('db2', "SELECT diskquota.set_default_quota('schema', '1 GB')");
epoch('db2');
is(reason('db2'), 'quota map is full, the usage of some quotas is not shown',
	'status: defaulted quotas that do not fit');
is($node->safe_psql('db2', "SELECT count(*) FROM diskquota.quotas WHERE source = 'default'"),
	'16', 'the defaulted quotas that fit are shown');
$node->safe_psql('db2', "SELECT diskquota.set_default_quota('schema', '0')");
epoch('db2');
is( reason('db2'),
	'quota map is full of exceeded quotas, some exceeded quotas are not enforced',
	'status: defaulted exceeded quotas that do not fit');
cmp_ok(refused('db2', 'q%'), '>=', 15, 'the defaulted exceeded quotas that fit are enforced');
$node->safe_psql('db2', "SELECT diskquota.remove_default_quota('schema')");
epoch('db2');
is(reason('db2'), '', 'db2 no longer degraded without the default');

# The active-relation map (1024 entries) overflows: 1100 tables created
# between two refreshes, in one transaction (more relations than a
# backend slot holds, too).  The next refresh is a full rescan, and its
# usage is exact.
$node->safe_psql('postgres',
	"CREATE SCHEMA big; SELECT diskquota.set_schema_quota('big', '1 GB')");
epoch('postgres');
my $rescans = $node->safe_psql('postgres',
	"SELECT full_rescans FROM diskquota.status() WHERE database_name = 'postgres'");
$node->safe_psql(
	'postgres', q{
DO $$
BEGIN
  FOR i IN 1..1100 LOOP
    EXECUTE format('CREATE TABLE big.t%s AS SELECT generate_series(1, 10) AS i', i);
  END LOOP;
END $$;
});
epoch('postgres');
like(reason('postgres'), qr/active relation map was full, database fully rescanned/,
	'status: active map was full');
like(reason('postgres'), qr/a transaction created more relations than a backend slot holds/,
	'status: backend slot was full');
ok( $node->safe_psql(
		'postgres',
		"SELECT full_rescans > $rescans FROM diskquota.status() WHERE database_name = 'postgres'"
	),
	'a full rescan was made');
is( $node->safe_psql(
		'postgres', q{
SELECT u.used_bytes = (SELECT sum(pg_total_relation_size(c.oid))
                         FROM pg_class c
                        WHERE c.relnamespace = 'big'::regnamespace AND c.relkind = 'r')
  FROM diskquota.quota_usage() u
 WHERE u.quota_type = 'schema' AND u.target_oid = 'big'::regnamespace}),
	't',
	'usage exact after the overflow');
is(log_count(qr/LOG:  diskquota fully rescans database "postgres"/),
	1, 'active map overflow logged once');
is( log_count(
		qr/WARNING:  diskquota cannot count all uncommitted relations in database "postgres"/),
	1,
	'backend slot overflow logged once');
# the conditions are repaired: the next refresh is no full rescan, but the
# status shows them for a minute
$rescans = $node->safe_psql('postgres',
	"SELECT full_rescans FROM diskquota.status() WHERE database_name = 'postgres'");
epoch('postgres');
is( $node->safe_psql(
		'postgres',
		"SELECT full_rescans FROM diskquota.status() WHERE database_name = 'postgres'"),
	$rescans,
	'the next refresh is not a full rescan');
like(reason('postgres'), qr/active relation map was full/,
	'the overflow is still shown at the next refresh');

$node->stop;
done_testing();
