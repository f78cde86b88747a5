//! Who may do what: the one authority table. Every operation the API offers
//! (each mutation, each query that returns personal data, each
//! subscription) has exactly one [`Rule`] here, named by its GraphQL field;
//! the service implementing the operation checks its rule
//! ([`Actor::require`]) instead of naming roles itself. A test fails when an
//! operation in the schema has no rule, or a rule names no operation.
//!
//! A rule says who may act ([`Who`]), whether acting on oneself is refused
//! ([`Rule::not_self`]: nobody approves, rates, reviews or awards
//! themselves), and what the act is called in a refusal (Chinese: the people
//! refused read it).

use super::{Actor, Role};
use crate::error::{DomainError, DomainResult};

/// Who may take an operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Who {
    /// Anyone, signed in or not: signing in itself.
    Anyone,
    /// Any signed-in person, on their own account and records (their
    /// profile, their data, what they placed or booked); the service checks
    /// that the record is theirs.
    Themselves,
    /// Any member of the record's community (any role there, or the street's).
    Member,
    /// A member holding one of these roles in the record's community (a
    /// street's reviewer holds STREET_REVIEWER in each of its communities).
    Roles(&'static [Role]),
    /// The record's own people (the service says who: whoever placed,
    /// booked or claimed it, whom it is for, who is assigned to it), or a
    /// member holding one of these roles in its community
    /// ([`Actor::require_theirs_or`]).
    TheirsOr(&'static [Role]),
    /// Someone holding a position above the unit acted on, as the
    /// organisation's own rules say ([`super::units::may_organise`],
    /// [`super::units::may_appoint`]): county admins over their county,
    /// street reviewers over their street, secretaries inside their community.
    Above,
    /// Someone holding this role at the unit the act concerns: a street's
    /// reviewer at their street, a department's staff at the department an
    /// order was routed to ([`Actor::require_office`]).
    Office(Role),
}

/// One operation's rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rule {
    /// The GraphQL field that offers it.
    pub operation: &'static str,
    pub who: Who,
    /// Whether acting on oneself is refused (see [`Actor::require_not_self_for`]).
    pub not_self: bool,
    /// What the act is called, in Chinese: "授予角色", "接单".
    pub doing: &'static str,
}

macro_rules! rules {
    ($($(#[$meta:meta])* $name:ident = $op:literal, $who:expr, $doing:literal $(, $not_self:ident)?;)+) => {
        $(
            $(#[$meta])*
            pub const $name: Rule = Rule {
                operation: $op,
                who: $who,
                not_self: rules!(@not_self $($not_self)?),
                doing: $doing,
            };
        )+

        /// Every rule, one per operation.
        pub const RULES: &[Rule] = &[$($name),+];
    };
    (@not_self) => { false };
    (@not_self not_self) => { true };
}

use Who::*;

// The role sets the rules share. Areas that shape what they show by role
// (masking a phone, listing a community's or only one's own) use these too,
// through [`Actor::may`] or by name, so roles are named for permission here.
pub const SECRETARY: &[Role] = &[Role::Secretary];
pub const RESIDENT: &[Role] = &[Role::Resident];
/// Grid workers and secretaries: they run the community's work.
pub const STAFF: &[Role] = &Role::STAFF;
/// Party members and volunteers: they take on work.
pub const HELPERS: &[Role] = &Role::HELPERS;
/// Helpers and staff: they see the community's orders and its pool.
pub const WORKERS: &[Role] = &Role::WORKERS;
/// Street reviewers: they see the orders escalated to the street.
pub const STREET: &[Role] = &[Role::StreetReviewer];
/// Who reads how the community's rules changed: its secretary and the street.
pub const RULE_READERS: &[Role] = &[Role::Secretary, Role::StreetReviewer];
/// The canteen and the secretary: the canteen's counter and its settings.
pub const CANTEEN: &[Role] = &[Role::CanteenOperator, Role::Secretary];
/// The love supermarket's operators.
pub const SUPERMARKET: &[Role] = &[Role::Secretary, Role::CanteenOperator];
/// The kitchen of the banquets: venues, menus, holding the day.
pub const KITCHEN: &[Role] = &[Role::CanteenOperator, Role::Secretary];
/// Who decides a banquet booking: the red-and-white affairs council (while
/// party members, [`crate::banquets`] checks) and the secretary.
pub const BANQUET_DECIDERS: &[Role] = &[Role::BanquetCouncil, Role::Secretary];
/// The banquet's stewards: the council, the kitchen.
pub const BANQUET_STEWARDS: &[Role] = &[Role::BanquetCouncil, Role::CanteenOperator, Role::Secretary];
/// Who lists the banquet bookings: the stewards and the grid workers.
pub const BANQUET_LISTERS: &[Role] = &[Role::BanquetCouncil, Role::CanteenOperator, Role::Secretary, Role::GridWorker];
/// Who generates and sees the day's lunchbox deliveries.
pub const LUNCHBOX_KITCHEN: &[Role] = &[Role::Secretary, Role::GridWorker, Role::CanteenOperator];

rules! {
    // Signing in and one's own account.
    WECHAT_LOGIN = "wechatLogin", Anyone, "登录";
    REFRESH_SESSION = "refreshSession", Anyone, "续期登录";
    LOGOUT = "logout", Themselves, "退出登录";
    BIND_PHONE = "bindPhone", Themselves, "绑定手机号";
    SET_DISPLAY_NAME = "setDisplayName", Themselves, "修改昵称";
    ME = "me", Themselves, "查看自己的资料";
    MY_NOTIFICATIONS = "myNotifications", Themselves, "查看自己的通知";
    MARK_NOTIFICATION_READ = "markNotificationRead", Themselves, "标记通知已读";
    MARK_ALL_NOTIFICATIONS_READ = "markAllNotificationsRead", Themselves, "把通知全部标为已读";
    MY_PUSH_GRANTS = "myPushGrants", Themselves, "查看自己的订阅消息授权";
    ACCEPT_SUBSCRIPTIONS = "acceptSubscriptions", Themselves, "授权订阅消息";

    // The organisation.
    UNITS = "units", Above, "查看下级单位";
    CREATE_UNIT = "createUnit", Above, "新建单位";
    RENAME_UNIT = "renameUnit", Above, "修改单位名称";
    IMPORT_ROSTER = "importRoster", Above, "导入花名册";
    APPOINT = "appoint", Above, "任命", not_self;
    DISMISS = "dismiss", Above, "免去职务";
    GRANT_ROLE = "grantRole", Above, "授予角色", not_self;
    REVOKE_ROLE = "revokeRole", Above, "收回角色";
    SET_HOUSEHOLD_GROUP = "setHouseholdGroup", Roles(SECRETARY), "分配十联户";
    COMMUNITY_PEOPLE = "communityPeople", Roles(STAFF), "查看社区人员名单";
    SET_OVERDUE_POLICY = "setOverduePolicy", Roles(SECRETARY), "设置超时处理方式";
    REQUEST_TO_JOIN = "requestToJoin", Themselves, "申请加入社区";
    JOIN_REQUESTS = "joinRequests", Roles(STAFF), "查看入户申请";
    APPROVE_JOIN_REQUEST = "approveJoinRequest", Roles(STAFF), "审核入户申请", not_self;
    DECLINE_JOIN_REQUEST = "declineJoinRequest", Roles(STAFF), "审核入户申请", not_self;

    // Service orders (点单 → 派单 → 接单 → 办结 → 审定 → 评单). The order's
    // own people: who placed it, whom it is for, its claimant and assignee
    // (and the street's reviewers once it is escalated).
    ORDER = "order", TheirsOr(WORKERS), "查看服务单";
    ORDERS = "orders", TheirsOr(WORKERS), "查看服务单";
    ORDER_POOL = "orderPool", Roles(WORKERS), "查看待接的服务单";
    PLACE_ORDER = "placeOrder", Member, "点单";
    DISPATCH_ORDER = "dispatchOrder", Roles(STAFF), "派单", not_self;
    CLAIM_ORDER = "claimOrder", Roles(HELPERS), "接单", not_self;
    COMPLETE_ORDER = "completeOrder", Themselves, "办结服务单";
    APPROVE_ORDER = "approveOrder", Roles(SECRETARY), "审核服务单", not_self;
    REJECT_ORDER = "rejectOrder", Roles(SECRETARY), "审核服务单", not_self;
    RATE_ORDER = "rateOrder", Themselves, "评价服务单";
    CANCEL_ORDER = "cancelOrder", TheirsOr(SECRETARY), "取消服务单";
    ESCALATE_ORDER = "escalateOrder", Roles(SECRETARY), "把服务单上报街道";

    // 吹哨报到: the street routes what the community escalates, a department
    // answers, the street confirms.
    STREET_QUEUE = "streetQueue", Office(Role::StreetReviewer), "查看街道的待办服务单";
    DEPARTMENTS = "departments", Office(Role::StreetReviewer), "查看可分派的职能部门";
    /// The figures of a grid, community, street or county ([`super::units::may_read_figures`]).
    SERVICE_STATS = "serviceStats", Above, "查看服务统计";
    ROUTE_ORDER = "routeOrder", Roles(STREET), "把服务单分派给职能部门";
    RETURN_ORDER_TO_COMMUNITY = "returnOrderToCommunity", Roles(STREET), "把服务单退回社区";
    RESOLVE_ESCALATION = "resolveEscalation", Roles(STREET), "在街道办结服务单";
    CONFIRM_ROUTED_ORDER = "confirmRoutedOrder", Roles(STREET), "确认部门办结的服务单";
    DEPARTMENT_QUEUE = "departmentQueue", Office(Role::DepartmentStaff), "查看部门的服务单";
    ACCEPT_ROUTED_ORDER = "acceptRoutedOrder", Office(Role::DepartmentStaff), "应哨接单";
    REQUEST_INFORMATION = "requestInformation", Office(Role::DepartmentStaff), "向社区了解情况";
    COMPLETE_ROUTED_ORDER = "completeRoutedOrder", Office(Role::DepartmentStaff), "办结部门的服务单";
    ANSWER_INFORMATION_REQUEST = "answerInformationRequest", Roles(STAFF), "答复职能部门的询问";
    ARRIVE_ON_SITE = "arriveOnSite", Themselves, "登记到达现场";
    RECORD_RETURN_VISIT = "recordReturnVisit", Roles(STAFF), "回访", not_self;
    SET_RETURN_VISIT_POLICY = "setReturnVisitPolicy", Roles(SECRETARY), "设置回访不满意时的处理方式";
    ORDER_POOL_EVENTS = "orderPoolEvents", Roles(WORKERS), "接收待接服务单的动态";
    MY_ORDER_UPDATES = "myOrderUpdates", Themselves, "接收自己服务单的动态";

    // Micro-wishes (微心愿).
    WISH = "wish", TheirsOr(STAFF), "查看心愿";
    WISHES = "wishes", TheirsOr(STAFF), "查看心愿";
    POST_WISH = "postWish", Member, "许下心愿";
    PUBLISH_WISH = "publishWish", Roles(SECRETARY), "发布心愿";
    DECLINE_WISH = "declineWish", Roles(SECRETARY), "退回心愿";
    CLAIM_WISH = "claimWish", Roles(HELPERS), "认领心愿", not_self;
    WITHDRAW_WISH_CLAIM = "withdrawWishClaim", Themselves, "放弃认领的心愿";
    FULFIL_WISH = "fulfilWish", Themselves, "登记心愿已完成";
    APPROVE_WISH = "approveWish", Roles(SECRETARY), "审核心愿", not_self;
    REJECT_WISH = "rejectWish", Roles(SECRETARY), "审核心愿", not_self;
    THANK_WISH = "thankWish", Themselves, "答谢心愿";
    CANCEL_WISH = "cancelWish", TheirsOr(SECRETARY), "取消心愿";
    MY_WISH_UPDATES = "myWishUpdates", Themselves, "接收自己心愿的动态";

    // Party members reporting in (双报到).
    REPORT_IN = "reportIn", Themselves, "到社区报到";
    MY_REPORT_INS = "myReportIns", Themselves, "查看自己的报到";
    REPORT_INS = "reportIns", Roles(STAFF), "查看党员报到";
    SERVICE_BOARD = "serviceBoard", Member, "查看服务公示";
    APPROVE_REPORT_IN = "approveReportIn", Roles(SECRETARY), "审核党员报到", not_self;
    DECLINE_REPORT_IN = "declineReportIn", Roles(SECRETARY), "审核党员报到", not_self;
    LEAVE_REPORT_IN = "leaveReportIn", TheirsOr(SECRETARY), "结束报到";

    // Volunteer posts and activities.
    POSTS = "posts", Member, "查看志愿岗位";
    CREATE_POST = "createPost", Roles(SECRETARY), "设立志愿岗位";
    CLAIM_POST = "claimPost", Roles(HELPERS), "认领志愿岗位";
    LEAVE_POST = "leavePost", Themselves, "退出志愿岗位";
    RETIRE_POST = "retirePost", Roles(SECRETARY), "撤销志愿岗位";
    ACTIVITIES = "activities", Member, "查看活动";
    ACTIVITY = "activity", Member, "查看活动";
    ACTIVITY_CHECK_IN_CODE = "activityCheckInCode", TheirsOr(STAFF), "查看活动签到码";
    ACTIVITY_ATTENDANCE = "activityAttendance", TheirsOr(STAFF), "查看活动签到名单";
    CREATE_ACTIVITY = "createActivity", Roles(STAFF), "组织活动";
    SIGN_UP_FOR_ACTIVITY = "signUpForActivity", Member, "报名活动";
    CANCEL_ACTIVITY_SIGNUP = "cancelActivitySignup", Themselves, "取消活动报名";
    CHECK_IN = "checkIn", Member, "活动签到";

    // Members' duties: suggestions, households in their care, the year's work.
    SUGGESTIONS = "suggestions", TheirsOr(STAFF), "查看全部建议";
    SUBMIT_SUGGESTION = "submitSuggestion", Member, "提建议";
    ANSWER_SUGGESTION = "answerSuggestion", Roles(SECRETARY), "答复建议";
    HOUSEHOLDS = "households", Roles(STAFF), "查看住户名单";
    ASSIGN_HOUSEHOLDS = "assignHouseholds", Roles(SECRETARY), "分配联系户";
    LOG_HOUSEHOLD_CONTACT = "logHouseholdContact", Themselves, "登记联系住户";
    YEARLY_DUTIES = "yearlyDuties", TheirsOr(STAFF), "查看年度履职情况";
    DUTIES_OVERVIEW = "dutiesOverview", Roles(STAFF), "查看全体成员的履职情况";

    // Dedication points (奉献积分) and the Dedication Award.
    DEDICATION_RULES = "dedicationRules", Member, "查看奉献积分规则";
    DEDICATION_POINTS = "dedicationPoints", TheirsOr(STAFF), "查看奉献积分";
    MONTH_SCORES = "monthScores", TheirsOr(STAFF), "查看月度积分";
    DEDICATION_LEADERBOARD = "dedicationLeaderboard", Roles(WORKERS), "查看奉献积分排行";
    AWARD_RANKING = "awardRanking", Roles(SECRETARY), "查看评优排名";
    SET_DEDICATION_RULES = "setDedicationRules", Roles(SECRETARY), "设置奉献积分规则";
    ADJUST_DEDICATION_POINTS = "adjustDedicationPoints", Roles(SECRETARY), "调整奉献积分", not_self;
    CLOSE_DEDICATION_MONTH = "closeDedicationMonth", Roles(SECRETARY), "结算月度奉献积分";
    NOMINATE_AWARD = "nominateAward", Roles(SECRETARY), "提名奉献奖", not_self;

    // Civility points (文明积分), the ledger and the love supermarket.
    CIVILITY_ACCOUNT = "civilityAccount", TheirsOr(STAFF), "查看文明积分";
    CIVILITY_RULES = "civilityRules", Member, "查看文明积分规则";
    RULE_CHANGES = "ruleChanges", Roles(RULE_READERS), "查看规则变更记录";
    PENDING_CIVILITY_AWARDS = "pendingCivilityAwards", Roles(STAFF), "查看待复核的文明积分";
    LEDGER_CONSISTENCY = "ledgerConsistency", Roles(SECRETARY), "核对积分账";
    SET_CIVILITY_RULES = "setCivilityRules", Roles(SECRETARY), "设置文明积分规则";
    AWARD_CIVILITY_POINTS = "awardCivilityPoints", Roles(SECRETARY), "发放文明积分", not_self;
    RECORD_MUTUAL_HELP = "recordMutualHelp", Roles(STAFF), "登记邻里互助";
    REVIEW_CIVILITY_AWARD = "reviewCivilityAward", Roles(STAFF), "复核文明积分", not_self;
    REVERSE_TRANSFER = "reverseTransfer", Roles(SECRETARY), "冲正积分";
    SUPERMARKET_ITEMS = "supermarketItems", Member, "查看爱心超市的商品";
    REDEMPTIONS = "redemptions", TheirsOr(SUPERMARKET), "查看全部兑换记录";
    CREATE_SUPERMARKET_ITEM = "createSupermarketItem", Roles(SUPERMARKET), "上架爱心超市的商品";
    RESTOCK_SUPERMARKET_ITEM = "restockSupermarketItem", Roles(SUPERMARKET), "给爱心超市补货";
    RETIRE_SUPERMARKET_ITEM = "retireSupermarketItem", Roles(SUPERMARKET), "下架爱心超市的商品";
    REDEEM_ITEM = "redeemItem", Member, "兑换商品";
    CONFIRM_PICKUP = "confirmPickup", Roles(SUPERMARKET), "核销兑换";
    CANCEL_REDEMPTION = "cancelRedemption", TheirsOr(SUPERMARKET), "取消兑换";

    // Love lunchboxes (爱心午餐).
    LUNCHBOX_RECIPIENTS = "lunchboxRecipients", Roles(STAFF), "查看爱心午餐名单";
    LUNCHBOX_DELIVERIES = "lunchboxDeliveries", Roles(LUNCHBOX_KITCHEN), "查看当天的爱心午餐配送";
    OPEN_LUNCHBOX_DELIVERIES = "openLunchboxDeliveries", Roles(WORKERS), "查看待认领的爱心午餐配送";
    MY_LUNCHBOX_DELIVERIES = "myLunchboxDeliveries", Themselves, "查看自己的爱心午餐配送";
    LUNCHBOX_DELIVERY = "lunchboxDelivery", TheirsOr(LUNCHBOX_KITCHEN), "查看爱心午餐配送";
    LUNCHBOX_SETTINGS = "lunchboxSettings", Member, "查看爱心午餐设置";
    SET_LUNCHBOX_SETTINGS = "setLunchboxSettings", Roles(SECRETARY), "修改爱心午餐的送达时间";
    ADD_LUNCHBOX_RECIPIENT = "addLunchboxRecipient", Roles(STAFF), "维护爱心午餐名单";
    UPDATE_LUNCHBOX_RECIPIENT = "updateLunchboxRecipient", Roles(STAFF), "维护爱心午餐名单";
    DEACTIVATE_LUNCHBOX_RECIPIENT = "deactivateLunchboxRecipient", Roles(STAFF), "维护爱心午餐名单";
    REACTIVATE_LUNCHBOX_RECIPIENT = "reactivateLunchboxRecipient", Roles(STAFF), "维护爱心午餐名单";
    GENERATE_LUNCHBOX_DELIVERIES = "generateLunchboxDeliveries", Roles(LUNCHBOX_KITCHEN), "生成当天的爱心午餐配送";
    CLAIM_LUNCHBOX_DELIVERY = "claimLunchboxDelivery", Roles(HELPERS), "认领爱心午餐配送";
    RELEASE_LUNCHBOX_DELIVERY = "releaseLunchboxDelivery", Themselves, "放弃爱心午餐配送";
    CONFIRM_LUNCHBOX_DELIVERED = "confirmLunchboxDelivered", Themselves, "确认爱心午餐已送达";
    CONFIRM_LUNCHBOX_RECEIVED = "confirmLunchboxReceived", Themselves, "确认收到爱心午餐";
    REPORT_LUNCHBOX_UNDELIVERED = "reportLunchboxUndelivered", Themselves, "报告爱心午餐未送达";
    CANCEL_LUNCHBOX_DELIVERY = "cancelLunchboxDelivery", Roles(STAFF), "取消爱心午餐配送";

    // The canteen (合约食堂).
    CANTEEN_MENU = "canteenMenu", Member, "查看食堂菜单";
    MY_MEAL_BOOKINGS = "myMealBookings", Themselves, "查看自己的订餐";
    CANTEEN_DAILY_SHEET = "canteenDailySheet", Roles(CANTEEN), "查看食堂当日清单";
    CANTEEN_SETTINGS = "canteenSettings", Member, "查看食堂设置";
    SET_CANTEEN_SETTINGS = "setCanteenSettings", Roles(CANTEEN), "修改食堂设置";
    PUBLISH_CANTEEN_MENU = "publishCanteenMenu", Roles(CANTEEN), "发布食堂菜单";
    BOOK_MEAL = "bookMeal", Member, "订餐";
    CANCEL_MEAL_BOOKING = "cancelMealBooking", Themselves, "取消订餐";
    USE_MEAL_COUPON = "useMealCoupon", Themselves, "使用餐券";
    MARK_MEAL_PAID = "markMealPaid", Roles(CANTEEN), "在窗口收款";
    MARK_MEAL_COLLECTED = "markMealCollected", Roles(CANTEEN), "登记取餐";

    // Banquets (红白喜事).
    BANQUET_MENUS = "banquetMenus", Member, "查看宴席菜单";
    BANQUET_VENUES = "banquetVenues", Member, "查看宴席场地";
    BANQUET_LIMITS = "banquetLimits", Member, "查看宴席标准";
    BANQUET_CALENDAR = "banquetCalendar", Member, "查看宴席日程";
    MY_BANQUET_BOOKINGS = "myBanquetBookings", Themselves, "查看自己的宴席预订";
    BANQUET_BOOKING = "banquetBooking", TheirsOr(BANQUET_LISTERS), "查看宴席预订";
    BANQUET_BOOKINGS = "banquetBookings", Roles(BANQUET_LISTERS), "查看宴席预订名单";
    CREATE_BANQUET_VENUE = "createBanquetVenue", Roles(KITCHEN), "设置宴席场地";
    CREATE_BANQUET_MENU = "createBanquetMenu", Roles(KITCHEN), "设置宴席菜单";
    RETIRE_BANQUET_MENU = "retireBanquetMenu", Roles(KITCHEN), "停用宴席菜单";
    SET_BANQUET_LIMITS = "setBanquetLimits", Roles(SECRETARY), "设置宴席标准";
    BOOK_BANQUET = "bookBanquet", Roles(RESIDENT), "预订宴席";
    APPROVE_BANQUET_BOOKING = "approveBanquetBooking", Roles(BANQUET_DECIDERS), "审批宴席预订", not_self;
    DECLINE_BANQUET_BOOKING = "declineBanquetBooking", Roles(BANQUET_DECIDERS), "审批宴席预订", not_self;
    CANCEL_BANQUET_BOOKING = "cancelBanquetBooking", TheirsOr(BANQUET_STEWARDS), "取消宴席预订";
    MARK_BANQUET_HELD = "markBanquetHeld", Roles(KITCHEN), "登记宴席已办";

    // Care of the elderly: profiles, visits, health notes. The profile's
    // own people: the elder, the grid worker and household lead assigned.
    CARE_PROFILE = "careProfile", TheirsOr(STAFF), "查看关爱档案";
    CARE_PROFILES = "careProfiles", Roles(STAFF), "查看社区的关爱档案";
    SAVE_CARE_PROFILE = "saveCareProfile", TheirsOr(STAFF), "建立关爱档案";
    RECORD_CARE_CONSENT = "recordCareConsent", TheirsOr(STAFF), "登记知情同意";
    WITHDRAW_CARE_CONSENT = "withdrawCareConsent", TheirsOr(STAFF), "撤回知情同意";
    ADD_HEALTH_NOTE = "addHealthNote", TheirsOr(SECRETARY), "记录健康情况";
    VISITS = "visits", TheirsOr(STAFF), "查看探访记录";
    LOG_VISIT = "logVisit", TheirsOr(STAFF), "登记探访";
    OVERDUE_VISITS = "overdueVisits", Roles(STAFF), "查看逾期未探访的老人";
    SENSITIVE_ACCESS_LOG = "sensitiveAccessLog", Roles(SECRETARY), "查看敏感信息的查阅记录";

    // Care requests (一键求助), cash errands, wristbands.
    CARE_REQUEST = "careRequest", TheirsOr(WORKERS), "查看求助";
    CARE_REQUESTS = "careRequests", Roles(WORKERS), "查看社区的求助";
    MY_CARE_REQUESTS = "myCareRequests", Themselves, "查看自己的求助";
    FILE_CARE_REQUEST = "fileCareRequest", TheirsOr(STAFF), "代老人求助";
    RECORD_CASH_HANDOVER = "recordCashHandover", Themselves, "登记现金交接";
    CONFIRM_CASH_RECEIVED = "confirmCashReceived", TheirsOr(STAFF), "确认收到现金", not_self;
    REGISTER_WRISTBAND = "registerWristband", Roles(STAFF), "绑定手环";
    UNREGISTER_WRISTBAND = "unregisterWristband", Roles(STAFF), "解绑手环";

    // One's own data, and deleting another's (a second staff member confirms).
    MY_DATA_ACCESS_LOG = "myDataAccessLog", Themselves, "查看自己信息的查阅记录";
    EXPORT_MY_DATA = "exportMyData", Themselves, "导出自己的数据";
    DELETE_MY_DATA = "deleteMyData", Themselves, "删除自己的数据";
    DATA_DELETION_REQUESTS = "dataDeletionRequests", Roles(STAFF), "处理删除数据的申请";
    REQUEST_DATA_DELETION = "requestDataDeletion", Roles(SECRETARY), "为居民申请删除数据";
    CONFIRM_DATA_DELETION = "confirmDataDeletion", Roles(STAFF), "确认删除数据", not_self;
    REFUSE_DATA_DELETION = "refuseDataDeletion", Roles(STAFF), "拒绝删除数据的申请", not_self;
    WITHDRAW_DATA_DELETION = "withdrawDataDeletion", Themselves, "撤回删除数据的申请";

    // Downloads (`GET /exports/{kind}`): not GraphQL fields, named by route.
    // (`my-data` is one's own; `points-statement` is `civilityAccount`'s.)
    EXPORT_LEDGER = "GET /exports/ledger", Roles(SECRETARY), "导出社区的积分账";
    EXPORT_CANTEEN_SALES = "GET /exports/canteen-sales", Roles(CANTEEN), "导出食堂的销售";
    EXPORT_LUNCHBOX_DELIVERIES = "GET /exports/lunchbox-deliveries", Roles(STAFF), "导出爱心午餐配送";
    /// Those who may read the scope's figures ([`super::units::may_read_figures`]).
    EXPORT_ORDERS = "GET /exports/orders", Above, "导出服务单";
    EXPORT_SERVICE_STATS = "GET /exports/service-stats", Above, "导出服务统计";
}

/// The rule of the operation offered by the GraphQL field `operation`.
pub fn rule(operation: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.operation == operation)
}

/// The roles' names as office workers read them: "社区书记或网格员".
fn role_names(roles: &[Role]) -> String {
    roles.iter().map(|r| r.label()).collect::<Vec<_>>().join("或")
}

impl Rule {
    /// The roles the rule names (none for rules not about roles).
    pub fn roles(&self) -> &'static [Role] {
        match self.who {
            Who::Roles(roles) | Who::TheirsOr(roles) => roles,
            Who::Anyone | Who::Themselves | Who::Member | Who::Above | Who::Office(_) => &[],
        }
    }

    /// The refusal of someone of the community who may not take the
    /// operation: `FORBIDDEN`, naming who may, in Chinese.
    pub fn refused(&self) -> DomainError {
        match self.who {
            Who::Roles(roles) => DomainError::forbidden(format!("只有{}可以{}", role_names(roles), self.doing)),
            Who::TheirsOr(roles) => {
                DomainError::forbidden(format!("只有本人或{}可以{}", role_names(roles), self.doing))
            }
            Who::Office(role) => DomainError::forbidden(format!("只有本单位的{}可以{}", role.label(), self.doing)),
            Who::Above => {
                DomainError::forbidden(format!("你没有权限{}：只有本单位或上级单位的负责人可以办理", self.doing))
            }
            Who::Anyone | Who::Themselves | Who::Member => {
                DomainError::forbidden(format!("只有本人可以{}", self.doing))
            }
        }
    }
}

impl Actor {
    /// Checks `rule` for an act on a record of `community_id`: `NOT_FOUND`
    /// when the actor is not of the community (its records do not exist for
    /// them), `FORBIDDEN` when they are but hold none of the rule's roles
    /// (for [`Who::TheirsOr`], when the record is not theirs either: see
    /// [`Actor::require_theirs_or`]). Rules that are not about a community's
    /// roles pass here; their services check them where the record is known
    /// ([`Who`]).
    pub fn require(&self, rule: &Rule, community_id: i64) -> DomainResult<()> {
        match rule.who {
            Who::Roles(roles) | Who::TheirsOr(roles) => {
                self.require_member(community_id)?;
                if self.has_any(community_id, roles) { Ok(()) } else { Err(rule.refused()) }
            }
            Who::Member => self.require_member(community_id),
            Who::Anyone | Who::Themselves | Who::Above | Who::Office(_) => Ok(()),
        }
    }

    /// Checks a [`Who::TheirsOr`] rule once the service knows whether the
    /// record is the actor's own (`theirs`): its own people pass, others as
    /// [`Actor::require`].
    pub fn require_theirs_or(&self, rule: &Rule, community_id: i64, theirs: bool) -> DomainResult<()> {
        if theirs { Ok(()) } else { self.require(rule, community_id) }
    }

    /// Whether the actor may take the operation on any record of
    /// `community_id` by their roles there (for [`Who::TheirsOr`], without
    /// the record being theirs): for shaping what is shown, and for checks
    /// that answer with [`Rule::refused`] or `NOT_FOUND` themselves. A
    /// position above the unit is not decided here ([`Who::Above`]: false).
    pub fn may(&self, rule: &Rule, community_id: i64) -> bool {
        match rule.who {
            Who::Roles(roles) | Who::TheirsOr(roles) => self.has_any(community_id, roles),
            Who::Member => self.belongs_to(community_id),
            Who::Anyone | Who::Themselves => true,
            Who::Above | Who::Office(_) => false,
        }
    }

    /// Checks a [`Who::Office`] rule at `unit`: the actor holds the rule's
    /// role there (`FORBIDDEN` otherwise).
    pub fn require_office(&self, rule: &Rule, unit: super::Unit) -> DomainResult<()> {
        match rule.who {
            Who::Office(role) if self.holds(role, unit) => Ok(()),
            Who::Office(_) => Err(rule.refused()),
            _ => Err(DomainError::internal("not a rule about an office")),
        }
    }

    /// Nobody deals with themselves: `FORBIDDEN` when the rule refuses it
    /// and the person the act is about, or whose work it judges, is the actor.
    pub fn require_not_self_for(&self, rule: &Rule, subject: Option<i64>) -> DomainResult<()> {
        if rule.not_self && subject == Some(self.user_id) {
            Err(DomainError::forbidden(format!("这件事涉及你自己，不能由你{}，请由其他负责人办理", rule.doing)))
        } else {
            Ok(())
        }
    }

    /// The communities where the actor may take the operation by their
    /// roles (for lists across their communities).
    pub fn communities_for(&self, rule: &Rule) -> Vec<i64> {
        match rule.who {
            Who::Roles(roles) | Who::TheirsOr(roles) => self.communities_with(roles),
            _ => self.memberships().map(|m| m.community_id).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_has_one_rule() {
        let mut seen = std::collections::HashSet::new();
        for rule in RULES {
            assert!(seen.insert(rule.operation), "{} has two rules", rule.operation);
        }
    }

    #[test]
    fn a_refusal_names_the_roles_and_the_act_in_chinese() {
        let actor = Actor::new(7, [(1, "城南社区".to_owned(), Role::Resident)]);
        let refused = actor.require(&JOIN_REQUESTS, 1).unwrap_err();
        assert_eq!(refused.to_string(), "只有网格员或社区书记可以查看入户申请");
        assert!(matches!(actor.require(&JOIN_REQUESTS, 2), Err(DomainError::NotFound(_))));
    }

    #[test]
    fn every_rule_about_roles_names_at_least_one_and_says_what_it_is_about_in_chinese() {
        for rule in RULES {
            if matches!(rule.who, Who::Roles(_) | Who::TheirsOr(_)) {
                assert!(!rule.roles().is_empty(), "{} names no role", rule.operation);
            }
            assert!(!rule.doing.is_empty() && !rule.doing.is_ascii(), "{}: {:?}", rule.operation, rule.doing);
        }
    }

    #[test]
    fn a_record_of_ones_own_passes_where_the_roles_do_not() {
        let resident = Actor::new(7, [(1, "城南社区".to_owned(), Role::Resident)]);
        assert!(resident.require_theirs_or(&CANCEL_ORDER, 1, true).is_ok());
        let refused = resident.require_theirs_or(&CANCEL_ORDER, 1, false).unwrap_err();
        assert_eq!(refused.to_string(), "只有本人或社区书记可以取消服务单");
        assert!(matches!(resident.require_theirs_or(&CANCEL_ORDER, 2, false), Err(DomainError::NotFound(_))));
        assert!(!resident.may(&CANCEL_ORDER, 1));
        assert!(resident.may(&POST_WISH, 1) && !resident.may(&POST_WISH, 2));
    }

    #[test]
    fn nobody_deals_with_themselves_where_the_rule_says_so() {
        let secretary = Actor::new(7, [(1, "城南社区".to_owned(), Role::Secretary)]);
        assert!(secretary.require_not_self_for(&APPROVE_ORDER, Some(8)).is_ok());
        let refused = secretary.require_not_self_for(&APPROVE_ORDER, Some(7)).unwrap_err();
        assert!(refused.to_string().contains("审核服务单"), "{refused}");
        assert!(secretary.require_not_self_for(&ESCALATE_ORDER, Some(7)).is_ok(), "not a rule about oneself");
    }
}
