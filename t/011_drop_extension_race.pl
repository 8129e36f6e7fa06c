# DROP EXTENSION committing while the worker refreshes: the worker takes
# it as the extension going away, quietly, and does not fail with
# 'relation "diskquota.quota_config" does not exist'.  Made deterministic
# by holding the DROP EXTENSION's transaction open until a refresh of the
# worker has found the extension locked (it never waits for that lock:
# t/013_worker_stall.pl).
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('dropext');
$node->init;
$node->append_conf(
	'postgresql.conf', q{
shared_preload_libraries = 'diskquota'
diskquota.monitor_databases = 'postgres, dq_x'
diskquota.naptime = 1
max_worker_processes = 8
});
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION diskquota');
$node->safe_psql('postgres', 'CREATE DATABASE dq_x');
$node->safe_psql('dq_x', 'CREATE EXTENSION diskquota');
$node->safe_psql('dq_x', "CREATE SCHEMA s; SELECT diskquota.set_schema_quota('s', '1 MB')");
ok( $node->poll_query_until(
		'postgres',
		"SELECT state = 'running' FROM diskquota.status() WHERE database_name = 'dq_x'"),
	'worker of dq_x running');
my $offset = -s $node->logfile;

my $dropper = $node->background_psql('dq_x');
$dropper->query_safe('BEGIN');
$dropper->query_safe('DROP EXTENSION diskquota');
ok( $node->poll_query_until(
		'postgres',
		"SELECT degraded_reason LIKE '%refresh blocked by a lock%' FROM diskquota.status() WHERE database_name = 'dq_x'"),
	'the worker refreshes and finds the extension locked by the DROP EXTENSION (it does not wait)');
$dropper->query_safe('COMMIT');
$dropper->quit;
ok( $node->poll_query_until(
		'postgres',
		"SELECT state = 'extension not created' FROM diskquota.status() WHERE database_name = 'dq_x'"),
	'the worker sees the extension gone');
my $log = slurp_file($node->logfile, $offset);
unlike($log, qr/ERROR/, 'without an error');
like($log, qr/LOG:  diskquota does not enforce quotas in database "dq_x"\n.*DETAIL:  Extension "diskquota" has not been created in the database/,
	'and says why it stops');

$node->stop;
done_testing();
