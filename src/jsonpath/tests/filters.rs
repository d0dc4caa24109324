//! Filter semantics: element vs object tests, existence, Jayway's number/string
//! conversions, string escapes and UTF-16 ordering, and full-match regexes with flags.

use super::{TEAM, VALUES, check};

#[test]
fn filters_on_arrays_test_elements_and_on_objects_test_the_object() {
    check(
        &[
            ("$.members[?(@.age > 30)]", &["$['members'][0]"]),
            (
                "$.members[?(@.age >= 27.5)].name",
                &["$['members'][0]['name']", "$['members'][1]['name']"],
            ),
            (
                "$.members[?(@.age < 100 && @.age > 0)]",
                &["$['members'][0]", "$['members'][1]"],
            ),
            (
                "$.members[?(@.name == 'ana' || @.name == \"cy\")]",
                &["$['members'][0]", "$['members'][2]"],
            ),
            ("$.members[?(@.name == 'ana' && @.age < 30)]", &[]),
            (
                "$.members[?(!(@.name == 'ana'))]",
                &["$['members'][1]", "$['members'][2]"],
            ),
            ("$.members[?(@.name=='bo')]", &["$['members'][1]"]),
            ("$.members[?(  @.name  ==  'bo'  )]", &["$['members'][1]"]),
            ("$.members[?('bo' == @.name)]", &["$['members'][1]"]),
            (
                "$['members'][?(@['name'] == 'bo')]['age']",
                &["$['members'][1]['age']"],
            ),
            (
                "$.members[?(@.manager.name == 'dee')]",
                &["$['members'][2]"],
            ),
            ("$.members[?(@.tags[0] == 'lead')]", &["$['members'][0]"]),
            ("$.members[?(@.tags[-1] == 'lead')]", &["$['members'][0]"]),
            ("$.members[?(@.name == $.owner.name)]", &[]),
            (
                "$.members[?($.count == 3)]",
                &["$['members'][0]", "$['members'][1]", "$['members'][2]"],
            ),
            ("$.members[?(@.name < 'b')]", &["$['members'][0]"]),
            (
                "$.members[?(@.name <= 'bo')]",
                &["$['members'][0]", "$['members'][1]"],
            ),
            ("$.members[?(@.age < 'z')]", &["$['members'][2]"]),
            (
                "$.members[?((@.age > 30 || @.email == null) && !@.manager)]",
                &["$['members'][0]", "$['members'][1]"],
            ),
            (
                "$.members[*].tags[?(@ == 'lead')]",
                &["$['members'][0]['tags'][0]"],
            ),
            ("$.owner[?(@.admin == false)]", &["$['owner']"]),
            ("$.owner[?(@.admin == false)].name", &["$['owner']['name']"]),
            ("$.owner[?(@.admin == true)]", &[]),
            ("$.team[?(@)]", &[]),
            (
                "$.members[?(@)]",
                &["$['members'][0]", "$['members'][1]", "$['members'][2]"],
            ),
            (
                "$.members[?(1 == 1)]",
                &["$['members'][0]", "$['members'][1]", "$['members'][2]"],
            ),
        ],
        TEAM,
    );
}

#[test]
fn existence_and_missing_values_follow_jayway() {
    check(
        &[
            // A key holding null or [] exists.
            (
                "$.members[?(@.email)]",
                &["$['members'][0]", "$['members'][1]"],
            ),
            ("$.members[?(!@.email)]", &["$['members'][2]"]),
            (
                "$.members[?(@.tags)]",
                &["$['members'][0]", "$['members'][1]"],
            ),
            ("$.members[?(@.email == null)]", &["$['members'][1]"]),
            // Missing is "undefined": not equal to anything, so `!=` holds.
            (
                "$.members[?(@.email != null)]",
                &["$['members'][0]", "$['members'][2]"],
            ),
            (
                "$.members[?(@.admin != true)]",
                &["$['members'][1]", "$['members'][2]"],
            ),
            ("$.members[?(@.admin == true)]", &["$['members'][0]"]),
            ("$.members[?(@.nope < 1 || @.nope >= 1)]", &[]),
        ],
        TEAM,
    );
}

#[test]
fn equality_converts_between_numbers_and_strings_like_jayway() {
    check(
        &[
            ("$.members[?(@.age == 31.0)]", &["$['members'][0]"]),
            // document number vs string literal: the string is parsed as a BigDecimal.
            ("$.members[?(@.age == '31.0')]", &["$['members'][0]"]),
            ("$.members[?(@.age == '27.50')]", &["$['members'][1]"]),
            // document string vs number literal: compared with BigDecimal.toString().
            ("$.members[?(@.age == 40)]", &["$['members'][2]"]),
            ("$.members[?(@.age == 40.0)]", &[]),
            ("$.members[?(@.age == '40')]", &["$['members'][2]"]),
            (
                "$.members[?(@.age != 40)]",
                &["$['members'][0]", "$['members'][1]"],
            ),
            ("$.members[?(@.age > '30')]", &["$['members'][2]"]),
        ],
        TEAM,
    );
    check(
        &[
            ("$[?(@.t == 1)]", &["$[0]"]),
            ("$[?(@.n == '1')]", &["$[0]"]),
            ("$[?(@.n == '01')]", &["$[0]"]),
            ("$[?('1' == @.n)]", &["$[0]"]),
            ("$[?('01' == @.n)]", &[]),
            ("$[?(@.f == 1)]", &["$[0]"]),
            // A double prints as Java does (1.0E10) before becoming a BigDecimal.
            ("$[?(@.big == 10000000000)]", &["$[0]"]),
            ("$[?(@.big =~ /1\\.0E\\+10/)]", &["$[0]"]),
            ("$[?(@.f =~ /2\\.5/)]", &["$[1]"]),
            ("$[?(@.n =~ /1/)]", &["$[0]"]),
        ],
        VALUES,
    );
}

#[test]
fn strings_escapes_and_utf16_ordering() {
    check(
        &[
            ("$[?(@.q == 'it\\'s')]", &["$[0]"]),
            ("$[?(@.q == \"it's\")]", &["$[0]"]),
            ("$[?(@.text == 'a\\nb')]", &["$[0]"]),
            ("$[?(@.e == '\\u00e9')]", &["$[1]"]),
            ("$[?(@.s == '\\ud83d\\ude00')]", &["$[0]"]),
            // Java orders strings by UTF-16 units: U+1F600 (D83D…) sorts before U+FFFF.
            ("$[?(@.s < '\\uffff')]", &["$[0]"]),
            ("$[?(@.s > '\\ud83d\\ude00')]", &["$[1]"]),
        ],
        VALUES,
    );
}

#[test]
fn regex_filters_full_match_with_flags() {
    check(
        &[
            ("$.members[?(@.name =~ /A.*/i)]", &["$['members'][0]"]),
            ("$.members[?(@.name =~ /a/)]", &[]),
            (
                "$.members[?(@.name =~ /ana|bo/)]",
                &["$['members'][0]", "$['members'][1]"],
            ),
            // The alternation is anchored as a whole: `an` does not full-match "ana".
            ("$.members[?(@.name =~ /an|bo/)]", &["$['members'][1]"]),
            (
                "$.members[?(@.email =~ /.*@acme\\.test/)]",
                &["$['members'][0]"],
            ),
            (
                "$.members[?(@.age > 30 && @.email =~ /[a-z]+@acme\\.test/)]",
                &["$['members'][0]"],
            ),
            // Missing and null are matched as "", so /.*/ accepts every member.
            (
                "$.members[?(@.email =~ /.*/)]",
                &["$['members'][0]", "$['members'][1]", "$['members'][2]"],
            ),
            ("$.members[?(@.admin =~ /true/)]", &["$['members'][0]"]),
            ("$.members[?(@.age =~ /2\\d\\.5/)]", &["$['members'][1]"]),
            (
                "$.members[?(@.manager =~ //)]",
                &["$['members'][0]", "$['members'][1]", "$['members'][2]"],
            ),
            (
                "$.members[?(@.email =~ /ana\\/?@acme.test/)]",
                &["$['members'][0]"],
            ),
        ],
        TEAM,
    );
    check(
        &[
            ("$[?(@.text =~ /a.b/)]", &[]),
            ("$[?(@.text =~ /a.b/s)]", &["$[0]"]),
            ("$[?(@.text =~ /a$\\sb/)]", &[]),
            ("$[?(@.text =~ /a$\\sb/m)]", &["$[0]"]),
            ("$[?(@.q =~ /it ' s # apostrophe/x)]", &["$[0]"]),
            ("$[?(@.q =~ /IT'S/is)]", &["$[0]"]),
        ],
        VALUES,
    );
}
