# The cluster of a diskquota TAP test and the helpers the tests of restarts
# and crashes share.  diskquota_node() makes, configures and starts the one
# node of a test (diskquota preloaded, database postgres monitored,
# autovacuum off, crash restarts on, and the test's own settings); the
# other functions act on that node.
package DiskquotaNode;

use strict;
use warnings;

use Exporter 'import';
use PostgreSQL::Test::Cluster;
use Test::More;

our @EXPORT = qw(diskquota_node epoch worker_pid wait_running);

my $node;

# A started node named $name; $conf: more lines of postgresql.conf
sub diskquota_node
{
	my ($name, $conf) = @_;

	$node = PostgreSQL::Test::Cluster->new($name);
	$node->init;
	$node->append_conf(
		'postgresql.conf', q{
shared_preload_libraries = 'diskquota'
diskquota.monitor_databases = 'postgres'
restart_after_crash = on
autovacuum = off
} . ($conf // ''));
	$node->start;
	return $node;
}

# Wait for a refresh of the worker that starts after the call
sub epoch
{
	$node->safe_psql('postgres', 'SELECT diskquota.wait_for_worker_new_epoch()');
}

sub worker_pid
{
	return $node->safe_psql('postgres',
		"SELECT worker_pid FROM diskquota.status() WHERE database_name = 'postgres'");
}

# Test that the worker runs again after $what (a worker other than
# $old_worker, if given), then wait for its refresh
sub wait_running
{
	my ($what, $old_worker) = @_;
	my $other = defined $old_worker ? " AND worker_pid <> $old_worker" : '';

	ok( $node->poll_query_until(
			'postgres',
			"SELECT state = 'running'$other FROM diskquota.status()"
			  . " WHERE database_name = 'postgres'"),
		"worker running after $what");
	epoch();
}

1;
