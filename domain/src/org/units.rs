//! The units people are organised in, from the county down: county → street
//! (街道/乡镇) → community (社区/村) → grid (网格) → building (楼栋), with
//! 十联户 groups of households inside a community and departments (职能部门)
//! answering a county or one of its streets. Every role is held at one unit
//! ([`Role::unit_kind`]); units are created, renamed and staffed from above.

use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionTrait,
};

use super::authority;
use super::{Actor, Org, Role};
use crate::entities::{
    building, community, community_role, county, department, grid, household, household_group, office_role, street,
    street_role, user,
};
use crate::error::{DomainError, DomainResult};

crate::string_enum!(
    /// The kinds of unit, from the county down.
    #[derive(PartialOrd, Ord)]
    UnitKind { County, Street, Department, Community, Grid, Building, HouseholdGroup }
);

impl UnitKind {
    /// The table holding the units of this kind (each has `id` and `name`).
    fn table(self) -> &'static str {
        match self {
            UnitKind::County => "counties",
            UnitKind::Street => "streets",
            UnitKind::Department => "departments",
            UnitKind::Community => "communities",
            UnitKind::Grid => "grids",
            UnitKind::Building => "buildings",
            UnitKind::HouseholdGroup => "household_groups",
        }
    }

    /// The kind's name as office workers read it.
    pub fn label(self) -> &'static str {
        match self {
            UnitKind::County => "县",
            UnitKind::Street => "街道",
            UnitKind::Department => "部门",
            UnitKind::Community => "社区",
            UnitKind::Grid => "网格",
            UnitKind::Building => "楼栋",
            UnitKind::HouseholdGroup => "十联户",
        }
    }
}

/// One unit: its kind and its row's id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Unit {
    pub kind: UnitKind,
    pub id: i64,
}

impl Unit {
    pub fn new(kind: UnitKind, id: i64) -> Self {
        Self { kind, id }
    }

    pub fn county(id: i64) -> Self {
        Self::new(UnitKind::County, id)
    }

    pub fn street(id: i64) -> Self {
        Self::new(UnitKind::Street, id)
    }

    pub fn community(id: i64) -> Self {
        Self::new(UnitKind::Community, id)
    }
}

/// Where a unit sits: the units above it (and itself), and its name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Placement {
    pub county: i64,
    pub street: Option<i64>,
    pub department: Option<i64>,
    pub community: Option<i64>,
    pub grid: Option<i64>,
    pub building: Option<i64>,
    pub group: Option<i64>,
    pub name: String,
}

/// A unit as listed: what it is, where, and its name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnitInfo {
    pub unit: Unit,
    pub name: String,
    /// The unit it belongs to (none for a county).
    pub parent: Option<Unit>,
}

/// Who acts on the organisation: the server's operator at its command line
/// (`linli admin …`, which creates counties and has no account), or a
/// signed-in member of staff within their authority.
#[derive(Clone, Copy, Debug)]
pub enum By<'a> {
    Operator,
    Staff(&'a Actor),
}

impl By<'_> {
    fn user_id(self) -> Option<i64> {
        match self {
            By::Operator => None,
            By::Staff(actor) => Some(actor.user_id),
        }
    }
}

/// Who is appointed: a person linli knows, or someone named by phone who may
/// not have signed in yet (they exist as a person, and their WeChat account
/// is linked when they sign in and bind the same phone).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Appointee {
    User(i64),
    Phone { phone: String, name: String },
}

/// Whether the actor holds a post above (or at) the placed unit that lets
/// them create and rename units of `kind` in it.
pub fn may_organise(actor: &Actor, kind: UnitKind, at: &Placement) -> bool {
    let county_admin = actor.holds(Role::CountyAdmin, Unit::county(at.county));
    let reviewer = at.street.is_some_and(|s| actor.holds(Role::StreetReviewer, Unit::street(s)));
    let secretary = at.community.is_some_and(|c| actor.has(c, Role::Secretary));
    match kind {
        UnitKind::County | UnitKind::Street | UnitKind::Community => county_admin,
        UnitKind::Department => county_admin || (at.street.is_some() && reviewer),
        UnitKind::Grid | UnitKind::Building | UnitKind::HouseholdGroup => county_admin || reviewer || secretary,
    }
}

/// Whether the actor may appoint (and dismiss) `role` at the placed unit:
/// roles are given from above. A county's admins appoint its admins, street
/// reviewers, department staff and secretaries; a street's reviewers its
/// secretaries and its departments' staff; a community's secretaries every
/// role inside the community.
pub fn may_appoint(actor: &Actor, role: Role, at: &Placement) -> bool {
    let county_admin = actor.holds(Role::CountyAdmin, Unit::county(at.county));
    let reviewer = at.street.is_some_and(|s| actor.holds(Role::StreetReviewer, Unit::street(s)));
    let secretary = at.community.is_some_and(|c| actor.has(c, Role::Secretary));
    match role {
        Role::CountyAdmin | Role::StreetReviewer => county_admin,
        Role::DepartmentStaff => county_admin || (at.street.is_some() && reviewer),
        Role::Secretary => county_admin || reviewer || secretary,
        _ => secretary,
    }
}

/// Whether the actor may read the figures of the placed unit: a county's
/// admins all of it, a street's reviewers their street and below, a
/// community's secretaries their community and its grids, a grid worker her
/// own grid.
pub fn may_read_figures(actor: &Actor, kind: UnitKind, at: &Placement) -> bool {
    let county_admin = actor.holds(Role::CountyAdmin, Unit::county(at.county));
    let reviewer = at.street.is_some_and(|s| actor.holds(Role::StreetReviewer, Unit::street(s)));
    let secretary = at.community.is_some_and(|c| actor.has(c, Role::Secretary));
    let grid_worker = at.grid.is_some_and(|g| actor.holds(Role::GridWorker, Unit::new(UnitKind::Grid, g)));
    match kind {
        UnitKind::County => county_admin,
        UnitKind::Street => county_admin || reviewer,
        UnitKind::Community => county_admin || reviewer || secretary,
        UnitKind::Grid => county_admin || reviewer || secretary || grid_worker,
        UnitKind::Department | UnitKind::Building | UnitKind::HouseholdGroup => false,
    }
}

fn not_found(kind: UnitKind) -> DomainError {
    DomainError::NotFound(match kind {
        UnitKind::County => "county",
        UnitKind::Street => "street",
        UnitKind::Department => "department",
        UnitKind::Community => "community",
        UnitKind::Grid => "grid",
        UnitKind::Building => "building",
        UnitKind::HouseholdGroup => "household group",
    })
}

/// Where `unit` sits, read through `conn`; `NOT_FOUND` when it does not exist.
pub(crate) async fn place<C: ConnectionTrait>(conn: &C, unit: Unit) -> DomainResult<Placement> {
    let missing = || not_found(unit.kind);
    let street_placement = |s: street::Model| Placement {
        county: s.county_id.unwrap_or_default(),
        street: Some(s.id),
        name: s.name,
        ..Default::default()
    };
    async fn community_placement<C: ConnectionTrait>(conn: &C, id: i64) -> DomainResult<Placement> {
        let c = community::Entity::find_by_id(id).one(conn).await?.ok_or(DomainError::NotFound("community"))?;
        let s = street::Entity::find_by_id(c.street_id).one(conn).await?.ok_or(DomainError::NotFound("street"))?;
        Ok(Placement {
            county: s.county_id.unwrap_or_default(),
            street: Some(s.id),
            community: Some(c.id),
            name: c.name,
            ..Default::default()
        })
    }
    Ok(match unit.kind {
        UnitKind::County => {
            let c = county::Entity::find_by_id(unit.id).one(conn).await?.ok_or_else(missing)?;
            Placement { county: c.id, name: c.name, ..Default::default() }
        }
        UnitKind::Street => street_placement(street::Entity::find_by_id(unit.id).one(conn).await?.ok_or_else(missing)?),
        UnitKind::Department => {
            let d = department::Entity::find_by_id(unit.id).one(conn).await?.ok_or_else(missing)?;
            Placement {
                county: d.county_id,
                street: d.street_id,
                department: Some(d.id),
                name: d.name,
                ..Default::default()
            }
        }
        UnitKind::Community => community_placement(conn, unit.id).await?,
        UnitKind::Grid => {
            let g = grid::Entity::find_by_id(unit.id).one(conn).await?.ok_or_else(missing)?;
            Placement { grid: Some(g.id), name: g.name, ..community_placement(conn, g.community_id).await? }
        }
        UnitKind::Building => {
            let b = building::Entity::find_by_id(unit.id).one(conn).await?.ok_or_else(missing)?;
            Placement {
                grid: Some(b.grid_id),
                building: Some(b.id),
                name: b.name,
                ..community_placement(conn, b.community_id).await?
            }
        }
        UnitKind::HouseholdGroup => {
            let g = household_group::Entity::find_by_id(unit.id).one(conn).await?.ok_or_else(missing)?;
            Placement { group: Some(g.id), name: g.name, ..community_placement(conn, g.community_id).await? }
        }
    })
}

/// `NOT_FOUND` for a unit outside every post the actor holds (its existence
/// is not theirs to know), `FORBIDDEN` for one they reach but may not act on.
pub(super) fn refuse(actor: &Actor, at: &Placement, kind: UnitKind, doing: &str) -> DomainError {
    let reaches = actor.positions().iter().any(|p| match p.unit.kind {
        UnitKind::County => p.unit.id == at.county,
        UnitKind::Street => at.street == Some(p.unit.id),
        UnitKind::Department => at.department == Some(p.unit.id),
        _ => at.community.is_some_and(|c| actor.belongs_to(c)),
    });
    if reaches { DomainError::forbidden(format!("你没有权限{doing}")) } else { not_found(kind) }
}

/// A unit's name: trimmed, 1 to 40 characters.
fn unit_name(name: &str) -> DomainResult<String> {
    crate::validate::required_text("name", name, 40)
}

fn invite_code() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..8).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect()
}

impl Org<'_> {
    /// Where a unit sits (for the API's unit views and the command line).
    pub async fn placement(self, unit: Unit) -> DomainResult<Placement> {
        place(&self.d.db, unit).await
    }

    /// A community's invite code (for the operator's command line; staff
    /// read it from the community).
    pub async fn invite_code(self, community_id: i64) -> DomainResult<String> {
        let c = community::Entity::find_by_id(community_id).one(&self.d.db).await?;
        Ok(c.ok_or(DomainError::NotFound("community"))?.invite_code)
    }

    /// The community's invite code for its staff and the units above it
    /// (who hand it out); `None` for anyone else.
    pub async fn invite_code_for(self, actor: &Actor, community_id: i64) -> DomainResult<Option<String>> {
        let at = place(&self.d.db, Unit::community(community_id)).await?;
        let staff = actor.has_any(community_id, &[Role::GridWorker, Role::Secretary, Role::StreetReviewer])
            || actor.holds(Role::CountyAdmin, Unit::county(at.county));
        if staff { self.invite_code(community_id).await.map(Some) } else { Ok(None) }
    }

    /// The operator creates a county and appoints its first admin.
    pub async fn create_county(self, name: &str, admin: Appointee) -> DomainResult<(UnitInfo, i64)> {
        let txn = self.d.db.begin().await?;
        let created = self.create_county_in(&txn, name, admin).await?;
        txn.commit().await?;
        Ok(created)
    }

    pub(crate) async fn create_county_in(
        self,
        txn: &DatabaseTransaction,
        name: &str,
        admin: Appointee,
    ) -> DomainResult<(UnitInfo, i64)> {
        let name = unit_name(name)?;
        if county::Entity::find().filter(county::Column::Name.eq(&name)).one(txn).await?.is_some() {
            return Err(DomainError::Conflict(format!("县「{name}」已经存在")));
        }
        let created = county::ActiveModel { name: Set(name.clone()), ..Default::default() }.insert(txn).await?;
        let unit = Unit::county(created.id);
        let admin = self.appoint_in(txn, By::Operator, Role::CountyAdmin, unit, admin).await?;
        Ok((UnitInfo { unit, name, parent: None }, admin))
    }

    /// Creates a unit of `kind` under `parent` (a street under a county, a
    /// community under a street, a department under a county or street, a
    /// grid or 十联户 group under a community, a building under a grid).
    pub async fn create_unit(self, by: By<'_>, kind: UnitKind, parent: Unit, name: &str) -> DomainResult<UnitInfo> {
        let txn = self.d.db.begin().await?;
        let created = self.create_unit_in(&txn, by, kind, parent, name, None).await?;
        txn.commit().await?;
        Ok(created)
    }

    /// As [`Org::create_unit`], in the caller's transaction; a community may
    /// be given its invite code (else one is drawn).
    pub(crate) async fn create_unit_in(
        self,
        txn: &DatabaseTransaction,
        by: By<'_>,
        kind: UnitKind,
        parent: Unit,
        name: &str,
        invite: Option<&str>,
    ) -> DomainResult<UnitInfo> {
        let name = unit_name(name)?;
        let allowed_parent = match kind {
            UnitKind::County => false,
            UnitKind::Street => parent.kind == UnitKind::County,
            UnitKind::Department => matches!(parent.kind, UnitKind::County | UnitKind::Street),
            UnitKind::Community => parent.kind == UnitKind::Street,
            UnitKind::Grid | UnitKind::HouseholdGroup => parent.kind == UnitKind::Community,
            UnitKind::Building => parent.kind == UnitKind::Grid,
        };
        if !allowed_parent {
            return Err(DomainError::bad_input("parent", format!("{}不能建在{}下", kind.label(), parent.kind.label())));
        }
        let at = place(txn, parent).await?;
        if let By::Staff(actor) = by
            && !may_organise(actor, kind, &at)
        {
            return Err(refuse(actor, &at, parent.kind, &format!("在这里新建{}", kind.label())));
        }
        let id = match kind {
            UnitKind::County => unreachable_kind()?,
            UnitKind::Street => {
                let county =
                    county::Entity::find_by_id(at.county).one(txn).await?.ok_or_else(|| not_found(UnitKind::County))?;
                street::ActiveModel {
                    county: Set(county.name),
                    county_id: Set(Some(at.county)),
                    name: Set(name.clone()),
                    ..Default::default()
                }
                .insert(txn)
                .await?
                .id
            }
            UnitKind::Department => {
                department::ActiveModel {
                    county_id: Set(at.county),
                    street_id: Set(at.street),
                    name: Set(name.clone()),
                    ..Default::default()
                }
                .insert(txn)
                .await?
                .id
            }
            UnitKind::Community => {
                community::ActiveModel {
                    street_id: Set(parent.id),
                    name: Set(name.clone()),
                    invite_code: Set(invite.map_or_else(invite_code, str::to_owned)),
                    created_at: Set(self.d.clock.now()),
                    overdue_policy: Set(super::OverduePolicy::default().as_str().into()),
                    ..Default::default()
                }
                .insert(txn)
                .await?
                .id
            }
            UnitKind::Grid => {
                grid::ActiveModel { community_id: Set(parent.id), name: Set(name.clone()), ..Default::default() }
                    .insert(txn)
                    .await?
                    .id
            }
            UnitKind::Building => {
                building::ActiveModel {
                    community_id: Set(at.community.unwrap_or_default()),
                    grid_id: Set(parent.id),
                    name: Set(name.clone()),
                    ..Default::default()
                }
                .insert(txn)
                .await?
                .id
            }
            UnitKind::HouseholdGroup => {
                household_group::ActiveModel {
                    community_id: Set(parent.id),
                    name: Set(name.clone()),
                    ..Default::default()
                }
                .insert(txn)
                .await?
                .id
            }
        };
        Ok(UnitInfo { unit: Unit::new(kind, id), name, parent: Some(parent) })
    }

    /// Renames a unit; the same people may rename it as may create it.
    pub async fn rename_unit(self, by: By<'_>, unit: Unit, name: &str) -> DomainResult<UnitInfo> {
        let name = unit_name(name)?;
        let at = place(&self.d.db, unit).await?;
        if let By::Staff(actor) = by
            && !may_organise(actor, unit.kind, &at)
        {
            return Err(refuse(actor, &at, unit.kind, &format!("修改这个{}", unit.kind.label())));
        }
        let renamed = Query::update()
            .table(Alias::new(unit.kind.table()))
            .value(Alias::new("name"), name.clone())
            .and_where(Expr::col(Alias::new("id")).eq(unit.id))
            .to_owned();
        self.d.db.execute(&renamed).await?;
        let parent = parent_of(&at, unit.kind);
        Ok(UnitInfo { unit, name, parent })
    }

    /// The units directly under `unit` that the actor may see: a county's
    /// streets and departments, a street's communities and departments, a
    /// community's grids and 十联户 groups, a grid's buildings.
    pub async fn children(self, actor: &Actor, unit: Unit) -> DomainResult<Vec<UnitInfo>> {
        let at = place(&self.d.db, unit).await?;
        let sees = actor.holds(Role::CountyAdmin, Unit::county(at.county))
            || at.street.is_some_and(|s| actor.holds(Role::StreetReviewer, Unit::street(s)))
            || at.community.is_some_and(|c| actor.has_any(c, &Role::STAFF));
        if !sees {
            return Err(refuse(actor, &at, unit.kind, "查看下级单位"));
        }
        let db = &self.d.db;
        let mut out = Vec::new();
        let mut push = |kind: UnitKind, id: i64, name: String| {
            out.push(UnitInfo { unit: Unit::new(kind, id), name, parent: Some(unit) })
        };
        match unit.kind {
            UnitKind::County => {
                for s in street::Entity::find()
                    .filter(street::Column::CountyId.eq(unit.id))
                    .order_by_asc(street::Column::Id)
                    .all(db)
                    .await?
                {
                    push(UnitKind::Street, s.id, s.name);
                }
                for d in department::Entity::find()
                    .filter(department::Column::CountyId.eq(unit.id))
                    .filter(department::Column::StreetId.is_null())
                    .order_by_asc(department::Column::Id)
                    .all(db)
                    .await?
                {
                    push(UnitKind::Department, d.id, d.name);
                }
            }
            UnitKind::Street => {
                for c in community::Entity::find()
                    .filter(community::Column::StreetId.eq(unit.id))
                    .order_by_asc(community::Column::Id)
                    .all(db)
                    .await?
                {
                    push(UnitKind::Community, c.id, c.name);
                }
                for d in department::Entity::find()
                    .filter(department::Column::StreetId.eq(unit.id))
                    .order_by_asc(department::Column::Id)
                    .all(db)
                    .await?
                {
                    push(UnitKind::Department, d.id, d.name);
                }
            }
            UnitKind::Community => {
                for g in grid::Entity::find()
                    .filter(grid::Column::CommunityId.eq(unit.id))
                    .order_by_asc(grid::Column::Id)
                    .all(db)
                    .await?
                {
                    push(UnitKind::Grid, g.id, g.name);
                }
                for g in household_group::Entity::find()
                    .filter(household_group::Column::CommunityId.eq(unit.id))
                    .order_by_asc(household_group::Column::Id)
                    .all(db)
                    .await?
                {
                    push(UnitKind::HouseholdGroup, g.id, g.name);
                }
            }
            UnitKind::Grid => {
                for b in building::Entity::find()
                    .filter(building::Column::GridId.eq(unit.id))
                    .order_by_asc(building::Column::Id)
                    .all(db)
                    .await?
                {
                    push(UnitKind::Building, b.id, b.name);
                }
            }
            UnitKind::Department | UnitKind::Building | UnitKind::HouseholdGroup => {}
        }
        Ok(out)
    }

    /// Puts a household in a 十联户 group of its community (or takes it out).
    pub async fn set_household_group(
        self,
        actor: &Actor,
        household_id: i64,
        group_id: Option<i64>,
    ) -> DomainResult<()> {
        let h = household::Entity::find_by_id(household_id).one(&self.d.db).await?;
        let h = h.filter(|h| actor.belongs_to(h.community_id)).ok_or(DomainError::NotFound("household"))?;
        actor.require(&authority::SET_HOUSEHOLD_GROUP, h.community_id)?;
        if let Some(g) = group_id {
            let at = place(&self.d.db, Unit::new(UnitKind::HouseholdGroup, g)).await?;
            if at.community != Some(h.community_id) {
                return Err(not_found(UnitKind::HouseholdGroup));
            }
        }
        household::Entity::update_many()
            .col_expr(household::Column::GroupId, Expr::value(group_id))
            .filter(household::Column::Id.eq(household_id))
            .exec(&self.d.db)
            .await?;
        Ok(())
    }

    /// Appoints someone to `role` at `unit`; returns the person's user id.
    pub async fn appoint(self, by: By<'_>, role: Role, unit: Unit, who: Appointee) -> DomainResult<i64> {
        let txn = self.d.db.begin().await?;
        let id = self.appoint_in(&txn, by, role, unit, who).await?;
        txn.commit().await?;
        Ok(id)
    }

    pub(crate) async fn appoint_in(
        self,
        txn: &DatabaseTransaction,
        by: By<'_>,
        role: Role,
        unit: Unit,
        who: Appointee,
    ) -> DomainResult<i64> {
        if role.unit_kind() != unit.kind {
            return Err(DomainError::bad_input(
                "unitId",
                format!("{}须任命到{}，而不是{}", role.label(), role.unit_kind().label(), unit.kind.label()),
            ));
        }
        let at = place(txn, unit).await?;
        if let By::Staff(actor) = by {
            if !may_appoint(actor, role, &at) {
                return Err(refuse(actor, &at, unit.kind, &format!("任命{}", role.label())));
            }
            if let Appointee::User(u) = who {
                actor.require_not_self_for(&authority::APPOINT, Some(u))?;
            }
        }
        let user_id = match who {
            Appointee::User(u) => {
                let operator = matches!(by, By::Operator);
                if !operator && !self.within(txn, u, role, &at).await? {
                    // Roles go to people already inside the unit (joined,
                    // imported, reported in or holding a post there); whether
                    // anyone else exists is not the appointer's to know.
                    return Err(DomainError::NotFound("user"));
                }
                u
            }
            Appointee::Phone { phone, name } => {
                // Posts appointed from above may go to someone who has not
                // signed in yet; roles inside a community go to its people.
                if !matches!(role, Role::CountyAdmin | Role::StreetReviewer | Role::DepartmentStaff | Role::Secretary) {
                    return Err(DomainError::bad_input("phone", format!("{}须从本社区已有的人中任命", role.label())));
                }
                let person = super::people::person_by_phone(txn, &phone, &name, self.d.clock.now()).await?;
                if let By::Staff(actor) = by {
                    actor.require_not_self_for(&authority::APPOINT, Some(person))?;
                }
                person
            }
        };
        if role == Role::BanquetCouncil {
            let c = at.community.unwrap_or_default();
            if !self.roles_of(txn, user_id, c).await?.contains(&Role::PartyMember) {
                return Err(DomainError::bad_input("role", "红白理事会成员须是本社区的党员（PARTY_MEMBER）"));
            }
        }
        let now = self.d.clock.now();
        let granted_by = by.user_id();
        let inserted = match role.unit_kind() {
            UnitKind::County | UnitKind::Department => office_role::ActiveModel {
                user_id: Set(user_id),
                role: Set(role.as_str().into()),
                unit_id: Set(unit.id),
                granted_by: Set(granted_by),
                created_at: Set(now),
                ..Default::default()
            }
            .insert(txn)
            .await
            .map(|_| ()),
            UnitKind::Street => street_role::ActiveModel {
                user_id: Set(user_id),
                street_id: Set(unit.id),
                role: Set(role.as_str().into()),
                granted_by: Set(granted_by),
                created_at: Set(now),
                ..Default::default()
            }
            .insert(txn)
            .await
            .map(|_| ()),
            _ => community_role::ActiveModel {
                user_id: Set(user_id),
                community_id: Set(at.community.unwrap_or_default()),
                role: Set(role.as_str().into()),
                unit_id: Set(if unit.kind == UnitKind::Community { 0 } else { unit.id }),
                granted_by: Set(granted_by),
                created_at: Set(now),
                ..Default::default()
            }
            .insert(txn)
            .await
            .map(|_| ()),
        };
        match inserted.map_err(DomainError::from) {
            // Appointed already (or concurrently by someone else): the outcome is the same.
            Ok(()) | Err(DomainError::Conflict(_)) => Ok(user_id),
            Err(e) => Err(e),
        }
    }

    /// Whether the person is already inside the unit the role is held at:
    /// for a role inside a community, they hold a role there; for a post at
    /// a street, department or county, they hold a post within its county.
    async fn within<C: ConnectionTrait>(
        self,
        conn: &C,
        user_id: i64,
        role: Role,
        at: &Placement,
    ) -> DomainResult<bool> {
        if user::Entity::find_by_id(user_id).one(conn).await?.is_none() {
            return Ok(false);
        }
        if let Some(c) = at.community
            && role.unit_kind() != UnitKind::Street
        {
            return Ok(!self.roles_of(conn, user_id, c).await?.is_empty());
        }
        let person = self.actor_in(conn, user_id).await?;
        for post in person.positions() {
            if place(conn, post.unit).await?.county == at.county {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Ends an appointment; the same people may dismiss as may appoint. A
    /// community keeps at least one secretary, and the care assignments a
    /// role carried end with it.
    /// A role inside a community may also be dismissed at the community
    /// itself: that ends it at every unit of the community.
    pub async fn dismiss(self, by: By<'_>, role: Role, unit: Unit, user_id: i64) -> DomainResult<()> {
        let whole_community = unit.kind == UnitKind::Community && role.held_in_community();
        if role.unit_kind() != unit.kind && !whole_community {
            return Err(DomainError::bad_input("unitId", format!("{}不在{}任职", role.label(), unit.kind.label())));
        }
        let txn = self.d.db.begin().await?;
        let at = place(&txn, unit).await?;
        if let By::Staff(actor) = by
            && !may_appoint(actor, role, &at)
        {
            return Err(refuse(actor, &at, unit.kind, &format!("免去{}", role.label())));
        }
        match role.unit_kind() {
            UnitKind::County | UnitKind::Department => {
                office_role::Entity::delete_many()
                    .filter(office_role::Column::UserId.eq(user_id))
                    .filter(office_role::Column::Role.eq(role.as_str()))
                    .filter(office_role::Column::UnitId.eq(unit.id))
                    .exec(&txn)
                    .await?;
            }
            UnitKind::Street => {
                street_role::Entity::delete_many()
                    .filter(street_role::Column::UserId.eq(user_id))
                    .filter(street_role::Column::Role.eq(role.as_str()))
                    .filter(street_role::Column::StreetId.eq(unit.id))
                    .exec(&txn)
                    .await?;
            }
            _ => {
                let community_id = at.community.unwrap_or_default();
                if role == Role::Secretary {
                    let secretaries = community_role::Entity::find()
                        .filter(community_role::Column::CommunityId.eq(community_id))
                        .filter(community_role::Column::Role.eq(Role::Secretary.as_str()))
                        .all(&txn)
                        .await?;
                    if secretaries.len() == 1 && secretaries[0].user_id == user_id {
                        return Err(DomainError::invalid_state("社区至少要有一位书记：请先任命另一位书记"));
                    }
                }
                let mut held = community_role::Entity::delete_many()
                    .filter(community_role::Column::UserId.eq(user_id))
                    .filter(community_role::Column::CommunityId.eq(community_id))
                    .filter(community_role::Column::Role.eq(role.as_str()));
                if unit.kind != UnitKind::Community {
                    held = held.filter(community_role::Column::UnitId.eq(unit.id));
                }
                held.exec(&txn).await?;
                let remaining = self.roles_of(&txn, user_id, community_id).await?;
                let by_id = by.user_id().unwrap_or(user_id);
                let now = self.d.clock.now();
                super::clear_lapsed_care_assignments(&txn, community_id, user_id, &remaining, by_id, now).await?;
            }
        }
        txn.commit().await?;
        Ok(())
    }
}

fn unreachable_kind() -> DomainResult<i64> {
    Err(DomainError::bad_input("kind", "县由服务器管理员在命令行创建（linli admin create-county）"))
}

/// The unit directly above a unit of `kind` placed at `at`.
fn parent_of(at: &Placement, kind: UnitKind) -> Option<Unit> {
    match kind {
        UnitKind::County => None,
        UnitKind::Street => Some(Unit::county(at.county)),
        UnitKind::Department => Some(at.street.map(Unit::street).unwrap_or(Unit::county(at.county))),
        UnitKind::Community => at.street.map(Unit::street),
        UnitKind::Grid | UnitKind::HouseholdGroup => at.community.map(Unit::community),
        UnitKind::Building => at.grid.map(|g| Unit::new(UnitKind::Grid, g)),
    }
}
