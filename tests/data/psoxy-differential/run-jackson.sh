#!/bin/sh
# Regenerates jackson-vectors.json
set -eu
cd "$(dirname "$0")"
J=/usr/share/java
java -Dfile.encoding=UTF-8 -cp build/harness:$J/jackson-databind.jar:$J/jackson-core.jar:$J/jackson-annotations.jar:$J/json-path.jar:$J/json-smart.jar:$J/accessors-smart.jar:$J/slf4j-api.jar:$J/slf4j-nop.jar \
  pseudoproxy.harness.JacksonHarness jackson-vectors.json
echo "wrote jackson-vectors.json"
