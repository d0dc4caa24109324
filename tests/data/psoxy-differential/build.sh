#!/bin/sh
# Compiles the scratch copies of Psoxy's email classes (two variants) and our harnesses.
# Needs: openjdk-17, and Debian packages liblombok-java libjsr305-java libatinject-jsr330-api-java
#        libjackson2-databind-java libjackson2-core-java libjackson2-annotations-java libcommons-lang3-java
set -eu
cd "$(dirname "$0")"
J=/usr/share/java
LIBS=$J/lombok.jar:$J/jsr305.jar:$J/atinject-jsr330-api.jar
JACKSON=$J/jackson-databind.jar:$J/jackson-core.jar:$J/jackson-annotations.jar
rm -rf build && mkdir -p build/latest build/pre-0.5.11 build/harness
for v in latest pre-0.5.11; do
  javac -nowarn -encoding UTF-8 -d build/$v -cp "$LIBS" -processorpath $J/lombok.jar \
    $(find psoxy-src/$v -name '*.java')
done
javac -encoding UTF-8 -d build/harness -cp "build/latest:$JACKSON" harness/EmailHarness.java harness/AtomicCheck.java
javac -encoding UTF-8 -nowarn -d build/harness -cp "$JACKSON:$J/json-path.jar" harness/JacksonHarness.java
echo built
