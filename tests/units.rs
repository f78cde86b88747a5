//! The organisation's authority, unit by unit: units are built and staffed
//! from above and only inside one's own unit (a sibling community, grid or
//! county is refused), nobody appoints themselves, and staff act for the
//! residents they look after: a grid worker for her grid's households, a
//! household lead (联户长) for his 十联户 group's. Refusals change nothing.

use serde_json::{Value, json};

use crate::common::*;

area_world!();

const CREATE: &str = "mutation($k: UnitKind!, $p: UnitRef!, $n: String!) { createUnit(kind: $k, parent: $p, name: $n) { id kind name } }";
const SET_GROUP: &str = "mutation($h: ID!, $g: ID) { setHouseholdGroup(householdId: $h, groupId: $g) }";
const HOUSEHOLDS: &str = "query($c: ID!) { households(communityId: $c) { id label } }";
const PLACE_FOR: &str = "mutation($c: ID!, $for: ID) { placeOrder(input: { communityId: $c, category: REPAIR, \
    title: \"灯坏了\", description: \"楼道灯不亮\", onBehalfOf: $for }) { id } }";
const ORDERS: &str = "query($c: ID!) { orders(filter: { communityId: $c }, first: 100) { edges { node { id } } } }";

impl World {
    async fn create(&self, who: &str, kind: &str, parent: (&str, &str), name: &str) -> Value {
        let vars = json!({ "k": kind, "p": { "kind": parent.0, "id": parent.1 }, "n": name });
        self.gql(who, CREATE, vars).await
    }

    async fn appoint(&self, who: &str, role: &str, unit: &str, user: &str) -> Value {
        self.gql(who, APPOINT, json!({ "r": role, "unit": unit, "u": user })).await
    }

    async fn place_for(&self, who: &str, resident: &str) -> Value {
        let r = self.id_of(resident).await;
        self.gql(who, PLACE_FOR, json!({ "c": self.chengnan, "for": r })).await
    }

    async fn order_count(&self) -> usize {
        payload(&self.gql("demo-secretary", ORDERS, json!({ "c": self.chengnan })).await)["edges"]
            .as_array()
            .unwrap()
            .len()
    }

    /// The id of 城南社区's household labelled `label`.
    async fn household(&self, label: &str) -> String {
        let all = self.gql("demo-secretary", HOUSEHOLDS, json!({ "c": self.chengnan })).await;
        let found = payload(&all).as_array().unwrap().iter().find(|h| h["label"] == label).cloned();
        id(&found.unwrap_or_else(|| panic!("no household {label}: {all}")))
    }
}

#[tokio::test]
async fn a_grid_worker_orders_for_her_grids_residents_and_a_household_lead_for_his_groups() {
    let w = World::new().await;
    // demo-grid holds 第1网格 (buildings 1–3): 吴奶奶 of 1栋 is hers, 杨大哥 of 5栋 is not.
    payload(&w.place_for("demo-grid", "demo-elder").await);
    let before = w.order_count().await;
    let refused = w.place_for("demo-grid", "demo-resident-2").await;
    assert_eq!(outcome(&refused), "FORBIDDEN", "{refused}");
    assert!(refused["errors"][0]["message"].as_str().unwrap().contains("不在你负责的网格"), "{refused}");
    assert_eq!(w.order_count().await, before, "the refusal placed nothing");

    // A 十联户 group with 杨大哥's household, led by 龙阿姨.
    let group = w.create("demo-secretary", "HOUSEHOLD_GROUP", ("COMMUNITY", &w.chengnan), "5栋十联户").await;
    let group = id(payload(&group));
    let household = w.household("5栋1单元301").await;
    payload(&w.gql("demo-secretary", SET_GROUP, json!({ "h": household, "g": group })).await);
    let lead = w.id_of("demo-resident-1").await;
    let refused = w.place_for("demo-resident-1", "demo-resident-2").await;
    assert_eq!(outcome(&refused), "FORBIDDEN", "not yet a household lead: {refused}");
    payload(&w.appoint("demo-secretary", "HOUSEHOLD_LEAD", &group, &lead).await);
    payload(&w.place_for("demo-resident-1", "demo-resident-2").await);
    let refused = w.place_for("demo-resident-1", "demo-elder").await;
    assert_eq!(outcome(&refused), "FORBIDDEN", "吴奶奶 is not in his group: {refused}");
    assert_eq!(w.order_count().await, before + 1);
}

#[tokio::test]
async fn units_are_built_and_staffed_only_inside_ones_own_unit() {
    let w = World::new().await;
    let chengbei = w.chengbei().await;
    let grids = w.app.grids("demo-secretary", &w.chengnan).await;
    let chengbei_grid = w.app.grids("demo-secretary-2", &chengbei).await[0].clone();
    let before = w.app.units("demo-secretary", "COMMUNITY", &w.chengnan).await;

    // A sibling community's secretary neither builds in nor sees 城南社区.
    let sibling = w.create("demo-secretary-2", "GRID", ("COMMUNITY", &w.chengnan), "第3网格").await;
    assert_eq!(outcome(&sibling), "NOT_FOUND", "{sibling}");
    let seen = w.gql("demo-secretary-2", UNITS, json!({ "p": { "kind": "COMMUNITY", "id": w.chengnan } })).await;
    assert_eq!(outcome(&seen), "NOT_FOUND", "{seen}");
    // Nor does 城南社区's secretary staff 城北社区's grid.
    let member = w.id_of("demo-member-1").await;
    let across = w.appoint("demo-secretary", "GRID_WORKER", &chengbei_grid, &member).await;
    assert_eq!(outcome(&across), "NOT_FOUND", "{across}");
    // A grid worker does not build; a resident does not see the units.
    let grid_worker = w.create("demo-grid", "BUILDING", ("GRID", &grids[0]), "7栋").await;
    assert_eq!(outcome(&grid_worker), "FORBIDDEN", "{grid_worker}");
    let resident = w.gql("demo-resident-1", UNITS, json!({ "p": { "kind": "COMMUNITY", "id": w.chengnan } })).await;
    assert_eq!(outcome(&resident), "FORBIDDEN", "{resident}");
    // Nobody appoints themselves; a stranger cannot be appointed inside.
    let own = w.id_of("demo-secretary").await;
    let itself = w.appoint("demo-secretary", "GRID_WORKER", &grids[0], &own).await;
    assert_eq!(outcome(&itself), "FORBIDDEN", "{itself}");
    let stranger = w.app.newcomer("a-newcomer-of-chengnan").await;
    let resident_2 = w.id_of("demo-resident-3").await; // of 城北社区
    let outsider = w.appoint("demo-secretary", "GRID_WORKER", &grids[0], &resident_2).await;
    assert_eq!(outcome(&outsider), "NOT_FOUND", "{outsider}");
    // None of this changed 城南社区's units.
    assert_eq!(w.app.units("demo-secretary", "COMMUNITY", &w.chengnan).await, before);

    // Inside her community she builds and staffs: a building in her grid, a new grid worker.
    let built = w.create("demo-secretary", "BUILDING", ("GRID", &grids[0]), "7栋").await;
    assert_eq!(payload(&built)["kind"], "BUILDING");
    let appointed = w.appoint("demo-secretary", "GRID_WORKER", &grids[1], &stranger.user_id).await;
    assert_eq!(payload(&appointed)["unitKind"], "GRID");
    let positions =
        w.app.gql(Some(&stranger.access_token), "{ me { positions { role unitKind unitId } } }", json!({})).await;
    let positions = payload(&positions)["positions"].clone();
    assert!(
        positions
            .as_array()
            .unwrap()
            .contains(&json!({ "role": "GRID_WORKER", "unitKind": "GRID", "unitId": grids[1] })),
        "{positions}"
    );
}

#[tokio::test]
async fn a_county_admin_builds_only_in_her_county_and_a_street_reviewer_only_in_his_street() {
    let w = World::new().await;
    let positions =
        payload(&w.gql("demo-county", "{ me { positions { role unitKind unitId } } }", json!({})).await)["positions"]
            .clone();
    let county = positions[0]["unitId"].as_str().unwrap().to_owned();
    let streets = w.app.units("demo-county", "COUNTY", &county).await;
    let street = streets.iter().find(|(kind, _, name)| kind == "STREET" && name == "龙头街道").unwrap().1.clone();
    assert!(streets.iter().any(|(kind, _, name)| kind == "DEPARTMENT" && name == "县民政局"), "{streets:?}");

    // Another county, with its own admin, reaches nothing of 雷山县.
    let (other, _) = w
        .app
        .domain
        .org()
        .create_county(
            "丹寨县",
            domain::org::Appointee::Phone { phone: "13800009999".into(), name: "丹寨管理员".into() },
        )
        .await
        .unwrap();
    let other_admin = w.app.login("wx-danzhai-admin").await;
    fake_phone_button(&w.app, "danzhai-phone", "13800009999").await;
    bind_phone(&w.app, &other_admin, "danzhai-phone").await;
    let other_admin = w.app.login("wx-danzhai-admin").await;
    let across = w
        .app
        .gql(
            Some(&other_admin.access_token),
            CREATE,
            json!({ "k": "COMMUNITY", "p": { "kind": "STREET", "id": street }, "n": "新社区" }),
        )
        .await;
    assert_eq!(outcome(&across), "NOT_FOUND", "{across}");
    let own = w
        .app
        .gql(
            Some(&other_admin.access_token),
            CREATE,
            json!({ "k": "STREET", "p": { "kind": "COUNTY", "id": other.unit.id.to_string() }, "n": "龙泉镇" }),
        )
        .await;
    assert_eq!(payload(&own)["kind"], "STREET");

    // The street reviewer builds a grid in his street's community, but not a street.
    let grid = w.create("demo-street", "GRID", ("COMMUNITY", &w.chengnan), "第3网格").await;
    assert_eq!(payload(&grid)["kind"], "GRID");
    let street_by_reviewer = w.create("demo-street", "STREET", ("COUNTY", &county), "新街道").await;
    assert_eq!(outcome(&street_by_reviewer), "NOT_FOUND", "{street_by_reviewer}");
    // The county admin builds a community; nobody appoints themselves there.
    let community = w.create("demo-county", "COMMUNITY", ("STREET", &street), "城东社区").await;
    let community = id(payload(&community));
    let me = w.id_of("demo-county").await;
    let itself = w.appoint("demo-county", "SECRETARY", &community, &me).await;
    assert_eq!(outcome(&itself), "FORBIDDEN", "{itself}");
}

#[tokio::test]
async fn a_grid_worker_dispatches_lists_reads_edits_and_visits_only_for_her_grid() {
    let w = World::new().await;
    let place = "mutation($c: ID!) { placeOrder(input: { communityId: $c, category: REPAIR, title: \"门锁坏了\", \
                 description: \"进不了门\" }) { id } }";
    let dispatch = "mutation($o: ID!) { dispatchOrder(orderId: $o) { status } }";
    // 杨大哥 lives in 5栋 (第2网格); demo-grid holds 第1网格.
    let theirs = id(payload(&w.gql("demo-resident-2", place, json!({ "c": w.chengnan })).await));
    let refused = w.gql("demo-grid", dispatch, json!({ "o": theirs })).await;
    assert_eq!(outcome(&refused), "FORBIDDEN", "{refused}");
    let ours = id(payload(&w.gql("demo-resident-1", place, json!({ "c": w.chengnan })).await));
    assert_eq!(payload(&w.gql("demo-grid", dispatch, json!({ "o": ours })).await)["status"], "OPEN");
    assert_eq!(payload(&w.gql("demo-secretary", dispatch, json!({ "o": theirs })).await)["status"], "OPEN");

    let save = "mutation($input: CareProfileInput!) { saveCareProfile(input: $input) { id } }";
    for elder in ["demo-elder", "demo-resident-2"] {
        let e = w.id_of(elder).await;
        let input = json!({ "communityId": w.chengnan, "elderId": e, "needs": ["MEALS"], "livesAlone": true });
        payload(&w.gql("demo-secretary", save, json!({ "input": input })).await);
    }
    let list =
        "query($c: ID!) { careProfiles(communityId: $c) { totalCount edges { node { elder { displayName } } } } }";
    let by_secretary = w.gql("demo-secretary", list, json!({ "c": w.chengnan })).await;
    assert_eq!(payload(&by_secretary)["totalCount"], 2);
    let by_grid = w.gql("demo-grid", list, json!({ "c": w.chengnan })).await;
    assert_eq!(payload(&by_grid)["totalCount"], 1, "{by_grid}");
    assert_eq!(payload(&by_grid)["edges"][0]["node"]["elder"]["displayName"], "吴奶奶");

    // 杨大哥's profile is out of her reach: not read, not edited, no visit logged.
    let theirs = w.id_of("demo-resident-2").await;
    let read = "query($e: ID!) { careProfile(elderId: $e) { needs } }";
    let seen = w.gql("demo-grid", read, json!({ "e": theirs })).await;
    assert_eq!(outcome(&seen), "NOT_FOUND", "{seen}");
    let edit = json!({ "communityId": w.chengnan, "elderId": theirs, "needs": ["HEARING"], "livesAlone": true });
    let edited = w.gql("demo-grid", save, json!({ "input": edit })).await;
    assert_eq!(outcome(&edited), "NOT_FOUND", "{edited}");
    let visit = "mutation($e: ID!, $at: DateTime!) { logVisit(elderId: $e, visitedAt: $at, notes: \"精神好\") { id } }";
    let logged =
        w.gql("demo-grid", visit, json!({ "e": theirs, "at": domain::Clock::now(&w.app.clock).to_rfc3339() })).await;
    assert_eq!(outcome(&logged), "NOT_FOUND", "{logged}");
    let unchanged = w.gql("demo-secretary", read, json!({ "e": theirs })).await;
    assert_eq!(payload(&unchanged)["needs"], json!(["MEALS"]), "the refusal changed nothing");
    let visits = "query($e: ID!) { visits(elderId: $e) { totalCount } }";
    assert_eq!(payload(&w.gql("demo-secretary", visits, json!({ "e": theirs })).await)["totalCount"], 0);
}

#[tokio::test]
async fn a_sibling_communitys_secretary_neither_renames_nor_dismisses_nor_regroups_and_changes_nothing() {
    let w = World::new().await;
    let chengbei = w.chengbei().await;
    let grid = w.app.grids("demo-secretary", &w.chengnan).await[0].clone();
    let before = w.app.units("demo-secretary", "COMMUNITY", &w.chengnan).await;

    let rename = "mutation($u: UnitRef!, $n: String!) { renameUnit(unit: $u, name: $n) { id name } }";
    let renamed =
        w.gql("demo-secretary-2", rename, json!({ "u": { "kind": "GRID", "id": grid }, "n": "改名网格" })).await;
    assert_eq!(outcome(&renamed), "NOT_FOUND", "{renamed}");
    let by_grid = w.gql("demo-grid", rename, json!({ "u": { "kind": "GRID", "id": grid }, "n": "改名网格" })).await;
    assert_eq!(outcome(&by_grid), "FORBIDDEN", "{by_grid}");
    assert!(by_grid["errors"][0]["message"].as_str().unwrap().contains("没有权限"), "{by_grid}");

    let dismiss = "mutation($r: Role!, $unit: ID!, $u: ID!) { dismiss(role: $r, unitId: $unit, userId: $u) }";
    let grid_worker = w.id_of("demo-grid").await;
    let dismissed =
        w.gql("demo-secretary-2", dismiss, json!({ "r": "GRID_WORKER", "unit": grid, "u": grid_worker })).await;
    assert_eq!(outcome(&dismissed), "NOT_FOUND", "{dismissed}");

    let household = w.household("5栋1单元301").await;
    let regrouped = w.gql("demo-secretary-2", SET_GROUP, json!({ "h": household, "g": null })).await;
    assert_eq!(outcome(&regrouped), "NOT_FOUND", "{regrouped}");
    let their_group = w.create("demo-secretary-2", "HOUSEHOLD_GROUP", ("COMMUNITY", &chengbei), "城北十联户").await;
    let their_group = id(payload(&their_group));
    let across = w.gql("demo-secretary", SET_GROUP, json!({ "h": household, "g": their_group })).await;
    assert_eq!(outcome(&across), "NOT_FOUND", "another community's group: {across}");

    // Nothing changed: the names, the grid worker's post.
    assert_eq!(w.app.units("demo-secretary", "COMMUNITY", &w.chengnan).await, before);
    let still = w.gql("demo-grid", "{ me { positions { role unitId } } }", json!({})).await;
    assert_eq!(payload(&still)["positions"], json!([{ "role": "GRID_WORKER", "unitId": grid }]));
}
