//! The organisation's units (county → street → community → grid → building,
//! 十联户 groups, departments) and appointments to them.

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};

use domain::org::{self as o, Appointee, By};

use super::org::{Person, Role, UnitKind, person};
use super::{OrGql, actor, domain, parse_id};

/// Names one unit.
#[derive(InputObject)]
pub struct UnitRef {
    pub kind: UnitKind,
    pub id: ID,
}

impl UnitRef {
    fn unit(&self) -> Result<o::Unit> {
        Ok(o::Unit::new(self.kind.into(), parse_id(&self.id, "unit")?))
    }
}

/// A unit of the organisation.
#[derive(SimpleObject)]
pub struct Unit {
    id: ID,
    kind: UnitKind,
    name: String,
    /// The unit it belongs to (none for a county).
    parent_kind: Option<UnitKind>,
    parent_id: Option<ID>,
}

impl From<o::UnitInfo> for Unit {
    fn from(u: o::UnitInfo) -> Self {
        Self {
            id: u.unit.id.into(),
            kind: u.unit.kind.into(),
            name: u.name,
            parent_kind: u.parent.map(|p| p.kind.into()),
            parent_id: u.parent.map(|p| p.id.into()),
        }
    }
}

/// An appointment that was made: who now holds which role where.
#[derive(SimpleObject)]
pub struct Appointment {
    role: Role,
    unit_kind: UnitKind,
    unit_id: ID,
    person: Option<Person>,
}

/// A roster row that was skipped, and why.
#[derive(SimpleObject)]
pub struct RosterBadRow {
    /// The row as Excel shows it (the header is row 1).
    row: i32,
    /// Why, in Chinese, e.g. 楼栋「9栋」不存在，请先建好楼栋.
    reason: String,
}

/// What a roster import did (or, on a dry run, would do).
#[derive(SimpleObject)]
pub struct RosterReport {
    /// Rows with something in them, good and bad.
    rows: i32,
    households_created: i32,
    households_updated: i32,
    households_unchanged: i32,
    people_created: i32,
    /// Skipped rows, in row order; the other rows were imported.
    bad_rows: Vec<RosterBadRow>,
    /// Nothing was written.
    dry_run: bool,
}

impl From<o::roster::RosterReport> for RosterReport {
    fn from(r: o::roster::RosterReport) -> Self {
        let n = |v: u32| i32::try_from(v).unwrap_or(i32::MAX);
        Self {
            rows: n(r.rows),
            households_created: n(r.households_created),
            households_updated: n(r.households_updated),
            households_unchanged: n(r.households_unchanged),
            people_created: n(r.people_created),
            bad_rows: r.bad_rows.into_iter().map(|b| RosterBadRow { row: n(b.row), reason: b.reason }).collect(),
            dry_run: r.dry_run,
        }
    }
}

#[derive(Default)]
pub struct UnitQuery;

#[derive(Default)]
pub struct UnitMutation;

#[Object]
impl UnitQuery {
    /// The units directly under a unit: a county's streets and county
    /// departments, a street's communities and departments, a community's
    /// grids and 十联户 groups, a grid's buildings. For the staff of the unit
    /// or above it.
    async fn units(&self, ctx: &Context<'_>, parent: UnitRef) -> Result<Vec<Unit>> {
        let actor = actor(ctx).await?;
        let units = domain(ctx).org().children(actor, parent.unit()?).await.gql()?;
        Ok(units.into_iter().map(Into::into).collect())
    }
}

#[Object]
impl UnitMutation {
    /// Creates a unit under `parent`: county admins create streets,
    /// communities and departments; secretaries (and the street and county
    /// above them) create grids, buildings and 十联户 groups. Counties are
    /// created on the server (`linli admin create-county`).
    async fn create_unit(&self, ctx: &Context<'_>, kind: UnitKind, parent: UnitRef, name: String) -> Result<Unit> {
        let actor = actor(ctx).await?;
        let created =
            domain(ctx).org().create_unit(By::Staff(actor), kind.into(), parent.unit()?, &name).await.gql()?;
        Ok(created.into())
    }

    /// Renames a unit; the same people may rename it as may create it.
    async fn rename_unit(&self, ctx: &Context<'_>, unit: UnitRef, name: String) -> Result<Unit> {
        let actor = actor(ctx).await?;
        Ok(domain(ctx).org().rename_unit(By::Staff(actor), unit.unit()?, &name).await.gql()?.into())
    }

    /// Appoints someone to a role at the unit the role is held at (a grid
    /// worker at a grid, a household lead at a 十联户 group, a secretary at a
    /// community, a street reviewer at a street, department staff at a
    /// department, a county admin at a county). Roles are given from above,
    /// and never to oneself. Name the person by `userId` (someone already in
    /// the unit), or, for positions appointed from above (county admin, street
    /// reviewer, department staff, secretary), by `phone` and `name`: they
    /// take the post when they first sign in and bind that phone.
    async fn appoint(
        &self,
        ctx: &Context<'_>,
        role: Role,
        unit_id: ID,
        user_id: Option<ID>,
        phone: Option<String>,
        name: Option<String>,
    ) -> Result<Appointment> {
        let actor = actor(ctx).await?;
        let role: domain::Role = role.into();
        let unit = o::Unit::new(role.unit_kind(), parse_id(&unit_id, "unit")?);
        let who = match (user_id, phone) {
            (Some(u), None) => Appointee::User(parse_id(&u, "user")?),
            (None, Some(phone)) => Appointee::Phone { phone, name: name.unwrap_or_default() },
            _ => {
                return Err(super::gql_error(domain::DomainError::bad_input(
                    "userId",
                    "请给出要任命的人：userId，或手机号 phone 与姓名 name，二选一",
                )));
            }
        };
        let person_id = domain(ctx).org().appoint(By::Staff(actor), role, unit, who).await.gql()?;
        Ok(Appointment {
            role: role.into(),
            unit_kind: unit.kind.into(),
            unit_id: unit.id.into(),
            person: person(ctx, Some(person_id)).await?,
        })
    }

    /// Ends someone's role at a unit; the same people may dismiss as may
    /// appoint. A community keeps at least one secretary.
    async fn dismiss(&self, ctx: &Context<'_>, role: Role, unit_id: ID, user_id: ID) -> Result<bool> {
        let actor = actor(ctx).await?;
        let role: domain::Role = role.into();
        let unit = o::Unit::new(role.unit_kind(), parse_id(&unit_id, "unit")?);
        domain(ctx).org().dismiss(By::Staff(actor), role, unit, parse_id(&user_id, "user")?).await.gql()?;
        Ok(true)
    }

    /// Puts a household in a 十联户 group of its community, or (without
    /// `groupId`) takes it out. For the community's secretary.
    async fn set_household_group(&self, ctx: &Context<'_>, household_id: ID, group_id: Option<ID>) -> Result<bool> {
        let actor = actor(ctx).await?;
        let group = group_id.map(|g| parse_id(&g, "household group")).transpose()?;
        domain(ctx).org().set_household_group(actor, parse_id(&household_id, "household")?, group).await.gql()?;
        Ok(true)
    }

    /// Imports the county's household roster (an xlsx file in the
    /// template's form, base64-encoded; the request's size limit applies, so
    /// large rosters go through `linli admin import-roster`). Households are
    /// created or updated, their people become residents; bad rows are
    /// skipped and listed with their row numbers. `dryRun` reports what
    /// would happen and writes nothing. For the community's secretary (and
    /// the street and county above it).
    async fn import_roster(
        &self,
        ctx: &Context<'_>,
        community_id: ID,
        file_base64: String,
        #[graphql(default = false)] dry_run: bool,
    ) -> Result<RosterReport> {
        use base64::Engine as _;
        let actor = actor(ctx).await?;
        let community = parse_id(&community_id, "community")?;
        let file = base64::engine::general_purpose::STANDARD.decode(file_base64.trim()).map_err(|_| {
            super::gql_error(domain::DomainError::bad_input("fileBase64", "文件须是 base64 编码的 .xlsx 文件"))
        })?;
        let report = domain(ctx).org().import_roster(By::Staff(actor), community, &file, dry_run).await.gql()?;
        Ok(report.into())
    }
}
