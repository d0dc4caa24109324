#!/bin/sh
# Regenerates email-vectors.json, email-vectors-variants.json, email-timings.txt and the pattern dumps.
set -eu
cd "$(dirname "$0")"
J=/usr/share/java
JACKSON=$J/jackson-databind.jar:$J/jackson-core.jar:$J/jackson-annotations.jar
JAVA="java -Duser.language=en -Duser.country=US -Dfile.encoding=UTF-8 -Xss16m"
mkdir -p runs
python3 gen_email_inputs.py inputs/email-inputs.json
$JAVA -cp build/latest:build/harness:$JACKSON pseudoproxy.harness.EmailHarness vectors inputs/email-inputs.json runs/run-latest-default.json psoxy-default
$JAVA -cp build/latest:build/harness:$JACKSON pseudoproxy.harness.EmailHarness vectors inputs/email-inputs.json runs/run-latest-no-domain-literals.json no-domain-literals
$JAVA -cp build/pre-0.5.11:build/harness:$JACKSON pseudoproxy.harness.EmailHarness vectors inputs/email-inputs.json runs/run-pre0511-default.json psoxy-default
$JAVA -cp build/latest:build/harness:$JACKSON pseudoproxy.harness.EmailHarness patterns runs/patterns-latest-default.txt psoxy-default
$JAVA -cp build/latest:build/harness:$JACKSON pseudoproxy.harness.EmailHarness patterns runs/patterns-latest-no-domain-literals.txt no-domain-literals
$JAVA -cp build/pre-0.5.11:build/harness:$JACKSON pseudoproxy.harness.EmailHarness patterns runs/patterns-pre0511-default.txt psoxy-default
python3 merge_email.py runs
# atomic-group equivalence check (evidence for the Rust port)
{
$JAVA -cp build/latest:build/harness:$JACKSON pseudoproxy.harness.AtomicCheck inputs/email-inputs.json psoxy-default 30000 7
$JAVA -cp build/pre-0.5.11:build/harness:$JACKSON pseudoproxy.harness.AtomicCheck inputs/email-inputs.json psoxy-default 30000 7
$JAVA -cp build/latest:build/harness:$JACKSON pseudoproxy.harness.AtomicCheck inputs/email-inputs.json no-domain-literals 30000 8
} > runs/atomic-check.txt
cat runs/atomic-check.txt
python3 make_docs.py
