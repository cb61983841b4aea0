use super::*;

#[test]
fn the_role_map_reads_lines_and_groups_give_roles_with_ambassador_for_all() {
    let groups = GroupMap::parse(
        "chorus-editors = editor\n\nmarketing=analyst, editor\nLyon office = Team: Lyon\n",
    )
    .unwrap();
    assert_eq!(groups.roles.len(), 2);
    assert_eq!(groups.teams, vec![("Lyon office".into(), "Lyon".into())]);
    for bad in ["editors\nx = king", "x = king", "x = team:", " = editor"] {
        assert_eq!(GroupMap::parse(bad), Err(BadRoleMap { line: 1 }), "{bad}");
    }
    let mapping = Mapping {
        groups_claim: Some("groups".into()),
        groups: groups.clone(),
        team_claim: Some("department".into()),
    };
    let claims = serde_json::json!({"groups": ["Marketing", "other"], "department": " Lyon "});
    let given = mapping.roles_of(&claims).unwrap();
    assert!(given.has(Role::Ambassador) && given.has(Role::Analyst) && given.has(Role::Editor));
    assert!(!given.has(Role::Admin));
    assert_eq!(mapping.team_of(&claims).as_deref(), Some("Lyon"));
    let by_group = serde_json::json!({"groups": ["lyon office"]});
    assert_eq!(
        mapping.team_of(&by_group).as_deref(),
        Some("Lyon"),
        "no team claim: the group's team"
    );
    let none = serde_json::json!({});
    assert_eq!(
        mapping.roles_of(&none),
        Some(Roles::from_iter([Role::Ambassador]))
    );
    assert_eq!(
        Mapping::default().roles_of(&claims),
        None,
        "not mapped: Chorus decides"
    );
    let claim_only = Mapping {
        groups_claim: Some("groups".into()),
        ..Mapping::default()
    };
    assert_eq!(
        claim_only.roles_of(&claims),
        None,
        "a groups claim with no group giving roles never demotes anyone"
    );
}
