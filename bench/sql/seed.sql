-- The benchmark's world, seeded by SQL into a fresh database that the
-- server has already migrated. psql variables: members, viewers, list_orders,
-- claim_orders, raw_orders, drain_orders, event_orders.
\set ON_ERROR_STOP on
BEGIN;
INSERT INTO streets (county, name) VALUES ('雷山县', '基准街道');
INSERT INTO communities (street_id, name, invite_code, created_at)
SELECT (SELECT min(id) FROM streets), v.name, v.code, now()
FROM (VALUES (1, '列表社区', 'BENCHLIST'), (2, '接单社区', 'BENCHCLAIM'), (3, '原始社区', 'BENCHRAW'), (4, '清空社区', 'BENCHDRAIN'), (5, '事件社区', 'BENCHEVENTS'))
  AS v(n, name, code) ORDER BY v.n;

INSERT INTO users (openid, display_name, phone, address, created_at)
SELECT 'bench-resident-' || i, '居民' || i, '138' || lpad(i::text, 8, '0'), '城南社区3栋2单元' || i, now()
FROM generate_series(1, 100) AS i;
INSERT INTO users (openid, display_name, created_at)
SELECT 'bench-member-' || i, '党员' || i, now() FROM generate_series(1, :members) AS i;
INSERT INTO users (openid, display_name, created_at)
SELECT 'bench-viewer-' || i, '志愿者' || i, now() FROM generate_series(1, :viewers) AS i;

SELECT min(id) AS r0 FROM users WHERE openid LIKE 'bench-resident-%' \gset
SELECT min(id) AS m0 FROM users WHERE openid LIKE 'bench-member-%' \gset
SELECT min(id) AS v0 FROM users WHERE openid LIKE 'bench-viewer-%' \gset
SELECT id AS c_list FROM communities WHERE invite_code = 'BENCHLIST' \gset
SELECT id AS c_claim FROM communities WHERE invite_code = 'BENCHCLAIM' \gset
SELECT id AS c_raw FROM communities WHERE invite_code = 'BENCHRAW' \gset
SELECT id AS c_drain FROM communities WHERE invite_code = 'BENCHDRAIN' \gset
SELECT id AS c_events FROM communities WHERE invite_code = 'BENCHEVENTS' \gset

-- Residents in every community; members claim in the claim, raw and drain
-- communities; viewers are volunteers of the list community only.
INSERT INTO community_roles (user_id, community_id, role, created_at)
SELECT u.id, c.id, 'RESIDENT', now() FROM users u CROSS JOIN communities c WHERE u.openid LIKE 'bench-resident-%';
INSERT INTO community_roles (user_id, community_id, role, created_at)
SELECT u.id, c.id, 'PARTY_MEMBER', now() FROM users u CROSS JOIN communities c
WHERE u.openid LIKE 'bench-member-%' AND c.id <> :c_list;
INSERT INTO community_roles (user_id, community_id, role, created_at)
SELECT id, :c_list, 'VOLUNTEER', now() FROM users WHERE openid LIKE 'bench-viewer-%';

-- The list community first (the oldest ids), every other order claimed by a viewer,
-- so the newer pools of the other communities sit above it.
INSERT INTO orders (community_id, category, title, description, address, contact_phone, photo_urls, placed_by,
                    claimant_id, status, claim_due_at, complete_due_at, created_at, updated_at)
SELECT :c_list, 'REPAIR', '水管漏水 ' || i, '厨房水管漏水，地上全是水', '城南社区3栋2单元502', '13812345678', '[]',
       :r0 + i % 100, CASE WHEN i % 2 = 0 THEN :v0 + i % :viewers END,
       CASE WHEN i % 2 = 0 THEN 'CLAIMED' ELSE 'OPEN' END, now() + interval '30 minutes',
       CASE WHEN i % 2 = 0 THEN now() + interval '1 day' END, now(), now()
FROM generate_series(1, :list_orders) AS i;

-- Open pools: one for claims through GraphQL, one for raw SQL, one to drain,
-- one whose claims are watched from another node.
INSERT INTO orders (community_id, category, title, description, address, contact_phone, photo_urls, placed_by,
                    status, claim_due_at, created_at, updated_at)
SELECT c.id, 'REPAIR', '帮忙修水管 ' || i, '厨房水管漏水', '城南社区3栋2单元502', '13812345678', '[]', :r0 + i % 100,
       'OPEN', now() + interval '30 minutes', now(), now()
FROM (VALUES (1, :c_claim, :claim_orders), (2, :c_raw, :raw_orders), (3, :c_drain, :drain_orders),
            (4, :c_events, :event_orders)) AS c(n, id, total)
CROSS JOIN LATERAL generate_series(1, c.total) AS i
ORDER BY c.n, i;
COMMIT;
VACUUM ANALYZE;
