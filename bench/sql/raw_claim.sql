-- pgbench: the claim as one raw conditional UPDATE on a random open order.
-- Variables (-D): first_id, last_id, first_member, last_member.
\set id random(:first_id, :last_id)
\set member random(:first_member, :last_member)
UPDATE orders SET status = 'CLAIMED', claimant_id = :member WHERE id = :id AND status = 'OPEN';
