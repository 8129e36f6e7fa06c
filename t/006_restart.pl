# A backend killed with SIGKILL (the postmaster's crash-restart cycle) and a
# clean restart: the launcher and the worker come back, the first refresh
# has no stale sizes (a table dropped just before, the temporary table of
# the session that died) and the rejections are rebuilt by it.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::RealBin/lib";
use DiskquotaNode;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = diskquota_node(
	'restart', q{
# refreshes only when a test asks for one, or at start
diskquota.naptime = 3600
});

$node->safe_psql(
	'postgres', q{
CREATE EXTENSION diskquota;
CREATE ROLE tenant;
CREATE SCHEMA s;
CREATE TABLE s.full_t AS SELECT generate_series(1, 100000) AS i;
SELECT diskquota.set_schema_quota('s', '1 MB');
CREATE SCHEMA d AUTHORIZATION tenant;
GRANT CREATE, USAGE ON SCHEMA public TO tenant;
SET ROLE tenant;
CREATE TABLE d.kept AS SELECT generate_series(1, 50000) AS i;
CREATE TABLE d.gone AS SELECT generate_series(1, 50000) AS i;
CREATE TABLE d.gone2 AS SELECT generate_series(1, 50000) AS i;
RESET ROLE;
SELECT diskquota.set_schema_quota('d', '100 MB');
SELECT diskquota.set_role_quota('tenant', '100 MB');
SELECT diskquota.wait_for_worker_new_epoch();
});

sub usage
{
	my ($type, $oid) = @_;
	return $node->safe_psql('postgres',
		"SELECT used_bytes FROM diskquota.quota_usage() WHERE quota_type = '$type' AND target_oid = $oid"
	);
}


sub refused
{
	my ($ret, $stdout, $stderr) = $node->psql('postgres',
		'INSERT INTO s.full_t VALUES (1)',
		extra_params => [ '-v', 'VERBOSITY=verbose' ]);
	return $stderr =~ /ERROR:  53100: schema's disk space quota exceeded with name: s/;
}

# sizes as PostgreSQL reports them
sub real_size
{
	my ($tables) = @_;
	return $node->safe_psql('postgres',
		"SELECT sum(pg_total_relation_size(c)) FROM unnest(${tables}::regclass[]) c");
}

my $d_oid = $node->safe_psql('postgres', "SELECT 'd'::regnamespace::oid");
my $tenant_oid = $node->safe_psql('postgres', "SELECT 'tenant'::regrole::oid");
ok(refused(), 'over-quota schema refused before the crash');

# A session of the tenant with a temporary table, counted in its role.
my $tmp = $node->background_psql('postgres');
$tmp->query_safe(
	'SET ROLE tenant; CREATE TEMP TABLE tt AS SELECT generate_series(1, 100000) AS i');
my $tmp_pid = $tmp->query_safe('SELECT pg_backend_pid()');
epoch();
cmp_ok(usage('role', $tenant_oid), '>', real_size(q{'{d.kept,d.gone,d.gone2}'}),
	'the temporary table is counted before the crash');

# A table dropped just before the crash, unseen by the worker.
$node->safe_psql('postgres', 'DROP TABLE d.gone');

# The tenant's backend dies: the postmaster restarts everything.
my $old_worker = worker_pid();
my $old_launcher = $node->safe_psql('postgres',
	"SELECT pid FROM pg_stat_activity WHERE backend_type = 'diskquota launcher'");
my $log_offset = -s $node->logfile;
kill 'KILL', $tmp_pid;
$node->wait_for_log(qr/all server processes terminated; reinitializing/, $log_offset);
eval { $tmp->quit; };
ok( $node->poll_query_until(
		'postgres',
		"SELECT state = 'running' AND worker_pid <> $old_worker FROM diskquota.status() WHERE database_name = 'postgres'"
	),
	'worker back after the crash');
ok( $node->poll_query_until(
		'postgres',
		"SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'diskquota launcher' AND pid <> $old_launcher"
	),
	'launcher back after the crash');
epoch();
ok(refused(), 'rejection rebuilt by the first refresh after the crash');
is(usage('schema', $d_oid), real_size(q{'{d.kept,d.gone2}'}),
	'schema usage right after the crash: the dropped table is gone');
is(usage('role', $tenant_oid), real_size(q{'{d.kept,d.gone2}'}),
	"role usage right after the crash: the dead session's temporary table is not counted");
ok( $node->safe_psql(
		'postgres',
		"SELECT count(*) > 0 FROM pg_class WHERE relpersistence = 't' AND relowner = $tenant_oid"
	),
	'... although its catalog entry is still there');

# A clean restart, with a table dropped just before it.
$node->safe_psql('postgres', 'DROP TABLE d.gone2');
$node->restart;
ok( $node->poll_query_until(
		'postgres',
		"SELECT state = 'running' FROM diskquota.status() WHERE database_name = 'postgres'"
	),
	'worker back after a restart');
epoch();
ok(refused(), 'rejection rebuilt after a restart');
is(usage('schema', $d_oid), real_size(q{'{d.kept}'}),
	'schema usage right after a restart');
is(usage('role', $tenant_oid), real_size(q{'{d.kept}'}),
	'role usage right after a restart');

$node->stop;
done_testing();
